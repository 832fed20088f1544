//! Enums whose variants have stable names (states and kinds stored as text
//! and sent in JSON), each listed once.

/// Declares an enum whose every variant has a stored name: `ALL`, `as_str`
/// and `parse` come from the one list, and serde uses the same names. The
/// caller adds derives it wants beyond `Clone, Copy, Debug, PartialEq, Eq,
/// Hash, Serialize, Deserialize` (a schema, say) as attributes.
///
/// ```
/// tongka_shared::named_enum! {
///     /// Where a thing stands.
///     pub enum Light {
///         /// Go.
///         Green = "green",
///         /// Stop.
///         Red = "red",
///     }
/// }
/// assert_eq!(Light::parse("red"), Some(Light::Red));
/// assert_eq!(Light::ALL.len(), 2);
/// ```
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every variant, in the order declared.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The stored (and JSON) name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The variant stored as `s`.
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.into_iter().find(|v| v.as_str() == s)
            }
        }

        /// Compares with a stored name: `state == "paid"`.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::dto::{
        EntryKind, MessageTopic, OrderPurpose, OrderState, PayRequestState, PayeeState,
        WithdrawalState,
    };

    /// The JSON name, the stored name and `parse` agree for every variant.
    fn agrees<T>(all: &[T])
    where
        T: Copy + std::fmt::Debug + PartialEq + serde::Serialize + serde::de::DeserializeOwned,
        T: for<'a> PartialEq<&'a str>,
    {
        for v in all {
            let json = serde_json::to_string(v).expect("serialising");
            let name = json.trim_matches('"');
            assert!(*v == name, "{v:?} is sent as {json}");
            let back: T = serde_json::from_str(&json).expect("deserialising");
            assert_eq!(back, *v);
        }
    }

    #[test]
    fn every_state_is_sent_and_stored_by_one_name() {
        agrees(&WithdrawalState::ALL);
        agrees(&PayeeState::ALL);
        agrees(&OrderState::ALL);
        agrees(&PayRequestState::ALL);
        agrees(&EntryKind::ALL);
        agrees(&OrderPurpose::ALL);
        agrees(&MessageTopic::ALL);
        assert_eq!(
            WithdrawalState::parse("cancelled"),
            Some(WithdrawalState::Cancelled)
        );
        assert_eq!(
            PayeeState::parse("superseded"),
            Some(PayeeState::Superseded)
        );
        assert_eq!(OrderState::parse("refunded"), Some(OrderState::Refunded));
        assert_eq!(PayRequestState::parse("gone"), None);
        assert_eq!(OrderState::Paid.to_string(), "paid");
        // The names entries were stored by before the kinds were an enum.
        assert_eq!(EntryKind::parse("topup"), Some(EntryKind::TopUp));
        assert_eq!(EntryKind::parse("cash_handin"), Some(EntryKind::CashHandIn));
    }
}
