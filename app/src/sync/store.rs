//! The device store: one IndexedDB database per account on this phone
//! (`jiafang-u{user id}`), so a shared phone never mixes two teachers'
//! records. Stores:
//! - `visits`: `LocalVisit` by UUID (drafts and the outbox are one record
//!   in different states);
//! - `plans`: `LocalPlan` (拟家访) by UUID;
//! - `blobs`: photo and signature Blobs by SHA-256;
//! - `cache`: the last roster, colleagues and server visit list, by name.

use std::cell::RefCell;
use std::rc::Rc;

use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::AppError;

pub const VISITS: &str = "visits";
pub const PLANS: &str = "plans";
pub const BLOBS: &str = "blobs";
pub const CACHE: &str = "cache";
/// Roll calls taken on the phone, waiting for the server.
pub const ROLL_CALLS: &str = "roll_calls";
const STORES: [&str; 5] = [VISITS, PLANS, BLOBS, CACHE, ROLL_CALLS];
/// Raised when a store is added; the upgrade creates the missing ones.
const VERSION: u32 = 2;

#[derive(Clone)]
pub struct DeviceStore {
    db: Rc<Database>,
}

thread_local! {
    static OPEN: RefCell<Option<(i32, DeviceStore)>> = const { RefCell::new(None) };
}

fn device_error(err: impl std::fmt::Display) -> AppError {
    AppError::Device {
        message: err.to_string(),
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, AppError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(device_error)
}

impl DeviceStore {
    /// The store of `user_id`, opened once per page load.
    pub async fn open(user_id: i32) -> Result<DeviceStore, AppError> {
        let cached = OPEN.with(|open| {
            open.borrow()
                .as_ref()
                .filter(|(id, _)| *id == user_id)
                .map(|(_, store)| store.clone())
        });
        if let Some(store) = cached {
            return Ok(store);
        }
        let factory = Factory::new().map_err(device_error)?;
        let mut request = factory
            .open(&format!("jiafang-u{user_id}"), Some(VERSION))
            .map_err(device_error)?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            let existing = db.store_names();
            for name in STORES {
                if !existing.iter().any(|n| n == name) {
                    let _ = db.create_object_store(name, ObjectStoreParams::new());
                }
            }
        });
        let db = request.await.map_err(device_error)?;
        let store = DeviceStore { db: Rc::new(db) };
        OPEN.with(|open| *open.borrow_mut() = Some((user_id, store.clone())));
        Ok(store)
    }

    async fn put_js(&self, store: &str, key: &str, value: &JsValue) -> Result<(), AppError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadWrite)
            .map_err(device_error)?;
        let objects = tx.object_store(store).map_err(device_error)?;
        objects
            .put(value, Some(&JsValue::from_str(key)))
            .map_err(device_error)?
            .await
            .map_err(device_error)?;
        let done = tx
            .commit()
            .map_err(device_error)?
            .await
            .map_err(device_error)?;
        if done.is_committed() {
            Ok(())
        } else {
            Err(device_error("写入被中止"))
        }
    }

    async fn get_js(&self, store: &str, key: &str) -> Result<Option<JsValue>, AppError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadOnly)
            .map_err(device_error)?;
        let objects = tx.object_store(store).map_err(device_error)?;
        let value = objects
            .get(JsValue::from_str(key))
            .map_err(device_error)?
            .await
            .map_err(device_error)?;
        Ok(value.filter(|v| !v.is_undefined() && !v.is_null()))
    }

    pub async fn put<T: Serialize>(
        &self,
        store: &str,
        key: &str,
        value: &T,
    ) -> Result<(), AppError> {
        self.put_js(store, key, &to_js(value)?).await
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<T>, AppError> {
        match self.get_js(store, key).await? {
            Some(js) => serde_wasm_bindgen::from_value(js)
                .map(Some)
                .map_err(device_error),
            None => Ok(None),
        }
    }

    /// Every record of a store. Records this version cannot read (written
    /// by a newer one) are skipped, never deleted.
    pub async fn all<T: DeserializeOwned>(&self, store: &str) -> Result<Vec<T>, AppError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadOnly)
            .map_err(device_error)?;
        let objects = tx.object_store(store).map_err(device_error)?;
        let values = objects
            .get_all(None, None)
            .map_err(device_error)?
            .await
            .map_err(device_error)?;
        Ok(values
            .into_iter()
            .filter_map(|js| serde_wasm_bindgen::from_value(js).ok())
            .collect())
    }

    pub async fn delete(&self, store: &str, key: &str) -> Result<(), AppError> {
        let tx = self
            .db
            .transaction(&[store], TransactionMode::ReadWrite)
            .map_err(device_error)?;
        let objects = tx.object_store(store).map_err(device_error)?;
        objects
            .delete(JsValue::from_str(key))
            .map_err(device_error)?
            .await
            .map_err(device_error)?;
        tx.commit()
            .map_err(device_error)?
            .await
            .map_err(device_error)?;
        Ok(())
    }

    /// Blobs are stored as they are (IndexedDB keeps them on disk, not in
    /// the page's memory).
    pub async fn put_blob(&self, sha256: &str, blob: &web_sys::Blob) -> Result<(), AppError> {
        self.put_js(BLOBS, sha256, blob.as_ref()).await
    }

    pub async fn get_blob(&self, sha256: &str) -> Result<Option<web_sys::Blob>, AppError> {
        Ok(self
            .get_js(BLOBS, sha256)
            .await?
            .and_then(|js| js.dyn_into::<web_sys::Blob>().ok()))
    }
}
