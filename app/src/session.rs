//! Where each app keeps its bearer token: localStorage, one key per app and
//! brand, mirrored in a signal so the UI follows logins and logouts.

use gloo::storage::Storage;
use leptos::prelude::*;

/// The logged-in state of one app for one brand.
#[derive(Clone, Copy)]
pub struct Session {
    key: StoredValue<String>,
    /// The token, if logged in.
    pub token: RwSignal<Option<String>>,
}

impl Session {
    /// Loads the saved token of `app` (`member` / `merchant`) for `brand`.
    pub fn load(app: &str, brand: &str) -> Session {
        let key = format!("tongka.{app}.{brand}");
        let token = gloo::storage::LocalStorage::raw()
            .get_item(&key)
            .ok()
            .flatten();
        Session {
            key: StoredValue::new(key),
            token: RwSignal::new(token),
        }
    }

    /// Saves a new token.
    pub fn set(&self, token: String) {
        let _ = gloo::storage::LocalStorage::raw().set_item(&self.key.get_value(), &token);
        self.token.set(Some(token));
    }

    /// Forgets the token.
    pub fn clear(&self) {
        let _ = gloo::storage::LocalStorage::raw().remove_item(&self.key.get_value());
        self.token.set(None);
    }

    /// The token now, without tracking.
    pub fn current(&self) -> Option<String> {
        self.token.get_untracked()
    }
}
