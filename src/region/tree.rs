//! Counting a subtree: how many streets, communities, urban and rural units lie under
//! each node. Pure: takes the nodes, returns the counts.

use std::collections::HashMap;

use serde::Serialize;

use super::model::{Level, Region, UrbanRural};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TreeCounts {
    /// Direct children.
    pub children: usize,
    pub districts: usize,
    pub streets: usize,
    pub communities: usize,
    pub urban: usize,
    pub rural: usize,
}

/// Counts for every node in `nodes`, keyed by code; each node counts towards all its
/// ancestors that are in `nodes`.
pub fn counts(nodes: &[Region]) -> HashMap<String, TreeCounts> {
    let mut out: HashMap<String, TreeCounts> = nodes
        .iter()
        .map(|n| (n.code.to_string(), TreeCounts::default()))
        .collect();
    for node in nodes {
        if let Some(parent) = node.code.parent()
            && let Some(c) = out.get_mut(parent.as_str())
        {
            c.children += 1;
        }
        let mut ancestor = node.code.parent();
        while let Some(code) = ancestor {
            if let Some(c) = out.get_mut(code.as_str()) {
                match node.level {
                    Level::City => {}
                    Level::District => c.districts += 1,
                    Level::Street => c.streets += 1,
                    Level::Community => {
                        c.communities += 1;
                        match node.urban_rural {
                            Some(UrbanRural::Urban) => c.urban += 1,
                            Some(UrbanRural::Rural) => c.rural += 1,
                            None => {}
                        }
                    }
                }
            }
            ancestor = code.parent();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::RegionCode;

    fn r(code: &str, ur: Option<UrbanRural>) -> Region {
        let code = RegionCode::parse(code).unwrap();
        Region {
            level: code.level(),
            code,
            name: "x".into(),
            urban_rural: ur,
            enabled: true,
        }
    }

    #[test]
    fn counts_roll_up_to_every_ancestor() {
        let nodes = vec![
            r("369900", None),
            r("369902", None),
            r("369902001", None),
            r("369902001001", Some(UrbanRural::Urban)),
            r("369902001002", Some(UrbanRural::Urban)),
            r("369921", None),
            r("369921001", None),
            r("369921001001", Some(UrbanRural::Rural)),
        ];
        let c = counts(&nodes);
        assert_eq!(
            c["369900"],
            TreeCounts {
                children: 2,
                districts: 2,
                streets: 2,
                communities: 3,
                urban: 2,
                rural: 1
            }
        );
        assert_eq!(c["369902001"].children, 2);
        assert_eq!(c["369902001"].communities, 2);
        assert_eq!(c["369921"].rural, 1);
        assert_eq!(c["369921001001"], TreeCounts::default());
    }
}
