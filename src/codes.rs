//! Code lists stored by code and shown by label (一般隐患, 独居, 助餐…): one macro
//! declares the enum with its codes, labels and parsing, so every list reads the same way
//! from a form, a ledger or the database.

/// Declares a code/label enum with `code`, `label`, `parse` (code or label) and `ALL`.
macro_rules! coded {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            /// The stored code or the label a form gives.
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|x| x.code() == s || x.label() == s)
            }
            /// The labels, for a message listing what is accepted.
            pub fn labels() -> String {
                Self::ALL.iter().map(|x| x.label()).collect::<Vec<_>>().join("、")
            }
        }
    };
}
