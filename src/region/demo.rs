//! The demo city's division tree: three urban districts and two rural counties, 3–6
//! streets/townships each, 4–10 communities/villages each.

use rand::Rng;
use rand::seq::SliceRandom;

use super::model::{Level, Region, RegionCode, UrbanRural};
use super::store;
use crate::demo::{DEMO_CITY_CODE, DEMO_CITY_NAME, DemoContext, DemoFuture};

/// Districts (市辖区 take 01–20 in GB/T 2260) and counties (21 onwards).
const DISTRICTS: [(&str, &str, bool); 5] = [
    ("369902", "东湖区", true),
    ("369903", "西山区", true),
    ("369904", "南江区", true),
    ("369921", "青山县", false),
    ("369922", "白水县", false),
];

const STREETS: [&str; 18] = [
    "解放", "人民", "朝阳", "文化", "建设", "新华", "长青", "滨江", "和平", "光明", "城南", "城北",
    "学府", "胜利", "迎宾", "丰乐", "桂花", "湖滨",
];
const TOWNS: [&str; 16] = [
    "青石", "白沙", "黄岗", "石门", "柳溪", "桃源", "杨柳", "龙泉", "凤山", "梅岭", "枫林", "清水",
    "双河", "马鞍", "金竹", "高峰",
];
const COMMUNITIES: [&str; 20] = [
    "幸福", "和谐", "阳光", "翠苑", "锦绣", "康乐", "花园", "金桥", "兴业", "春晖", "明珠", "紫荆",
    "书香", "福寿", "鸿运", "安居", "泰和", "欣园", "景苑", "丽水",
];
const VILLAGES: [&str; 20] = [
    "李家", "王家", "张家", "陈家", "刘家", "杨家", "黄家", "周家", "吴家", "何家", "高坪", "新屋",
    "塘边", "山口", "岭下", "下湾", "上庄", "中洲", "田心", "坳头",
];

fn node(code: String, name: String, urban_rural: Option<UrbanRural>) -> Option<Region> {
    let code = RegionCode::parse(&code).ok()?;
    Some(Region {
        level: code.level(),
        code,
        name,
        urban_rural,
        enabled: true,
    })
}

/// The tree for a random stream: pure, so tests can check its shape without a database.
pub fn demo_tree(rng: &mut impl Rng) -> Vec<Region> {
    let mut regions = Vec::new();
    regions.extend(node(DEMO_CITY_CODE.into(), DEMO_CITY_NAME.into(), None));
    for (code, name, urban) in DISTRICTS {
        regions.extend(node(code.into(), name.into(), None));
        let mut street_names: Vec<&str> = if urban {
            STREETS.to_vec()
        } else {
            TOWNS.to_vec()
        };
        street_names.shuffle(rng);
        let streets = rng.random_range(3..=6);
        for (s, base) in street_names.iter().take(streets).enumerate() {
            let street_code = format!("{code}{:03}", s + 1);
            let street_name = if urban {
                format!("{base}街道")
            } else if s == 0 {
                // The county seat is a town with urban communities around its centre.
                format!("{base}镇")
            } else if rng.random_bool(0.7) {
                format!("{base}镇")
            } else {
                format!("{base}乡")
            };
            regions.extend(node(street_code.clone(), street_name, None));
            let mut pool: Vec<&str> = if urban {
                COMMUNITIES.to_vec()
            } else {
                VILLAGES.to_vec()
            };
            pool.shuffle(rng);
            let mut urban_pool: Vec<&str> = COMMUNITIES.to_vec();
            urban_pool.shuffle(rng);
            let communities = rng.random_range(4..=10);
            for c in 0..communities {
                let code = format!("{street_code}{:03}", c + 1);
                // In the county seat, the first two units are urban communities.
                let (name, ur) = if urban {
                    (format!("{}社区", pool[c]), UrbanRural::Urban)
                } else if s == 0 && c < 2 {
                    (format!("{}社区", urban_pool[c]), UrbanRural::Urban)
                } else {
                    (format!("{}村", pool[c]), UrbanRural::Rural)
                };
                regions.extend(node(code, name, Some(ur)));
            }
        }
    }
    regions
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("region");
        let regions = demo_tree(&mut rng);
        store::upsert(&mut ctx.tx, &regions).await?;
        let count = |level| regions.iter().filter(|r| r.level == level).count();
        Ok(format!(
            "行政区划：{DEMO_CITY_NAME}（{DEMO_CITY_CODE}），{} 个区县、{} 个街道乡镇、{} 个社区村",
            count(Level::District),
            count(Level::Street),
            count(Level::Community)
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::region::rules::{RegionRow, validate_rows};

    #[test]
    fn the_demo_tree_has_the_promised_shape_and_passes_import_rules() {
        for seed in 0..20 {
            let tree = demo_tree(&mut ChaCha8Rng::seed_from_u64(seed));
            let districts: Vec<&Region> =
                tree.iter().filter(|r| r.level == Level::District).collect();
            assert_eq!(districts.len(), 5);
            for d in &districts {
                let streets: Vec<&Region> = tree
                    .iter()
                    .filter(|r| r.code.parent().as_ref() == Some(&d.code))
                    .collect();
                assert!((3..=6).contains(&streets.len()));
                for s in streets {
                    let n = tree
                        .iter()
                        .filter(|r| r.code.parent().as_ref() == Some(&s.code))
                        .count();
                    assert!((4..=10).contains(&n));
                }
            }
            let rows: Vec<RegionRow> = tree
                .iter()
                .enumerate()
                .map(|(i, r)| RegionRow {
                    line: i + 1,
                    code: r.code.to_string(),
                    name: r.name.clone(),
                    urban_rural: r
                        .urban_rural
                        .map(|u| u.label().to_string())
                        .unwrap_or_default(),
                    enabled: String::new(),
                })
                .collect();
            let checked = validate_rows(&rows, &HashSet::new(), None).unwrap();
            assert_eq!(checked.len(), tree.len());
            // Both kinds of community exist, so urban/rural splits have something to split.
            assert!(
                tree.iter()
                    .any(|r| r.urban_rural == Some(UrbanRural::Rural))
            );
            assert!(
                tree.iter()
                    .any(|r| r.urban_rural == Some(UrbanRural::Urban))
            );
        }
    }

    #[test]
    fn same_seed_same_tree() {
        let a = demo_tree(&mut ChaCha8Rng::seed_from_u64(7));
        let b = demo_tree(&mut ChaCha8Rng::seed_from_u64(7));
        let c = demo_tree(&mut ChaCha8Rng::seed_from_u64(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
