//! The import as a server function, for the admin page's file form.

use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

use super::ImportReport;
use crate::error::AppError;

/// Form fields: `file` (the spreadsheet) and `mode` (`preview` or `commit`).
#[server(endpoint = "import_students", input = MultipartFormData)]
pub async fn import_students(data: MultipartData) -> Result<ImportReport, AppError> {
    use super::service;
    use super::table::{MAX_FILE_BYTES, file_too_large, read_table};
    use crate::auth::current_user::current_user;
    use crate::state::AppState;

    let result = async {
        let state = AppState::from_context()?;
        let current = current_user().await?;
        let school_id = crate::staff::service::managed_school(&current, None)?;
        let unreadable = |_| AppError::invalid("file", "上传的表单无法读取，请重新选择文件");
        let mut multipart = data
            .into_inner()
            .ok_or_else(|| AppError::invalid("file", "缺少文件"))?;
        let (mut commit, mut file) = (false, Vec::new());
        while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
            match field.name() {
                Some("mode") => commit = field.text().await.map_err(unreadable)? == "commit",
                Some("file") => {
                    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                        if file.len() + chunk.len() > MAX_FILE_BYTES {
                            return Err(file_too_large());
                        }
                        file.extend_from_slice(&chunk);
                    }
                }
                _ => {}
            }
        }
        let table = read_table(&file)?;
        if commit {
            service::commit(&state.db, school_id, current.user.id, &table).await
        } else {
            service::preview(&state.db, school_id, &table).await
        }
    };
    result.await.map_err(AppError::into_server_fn_response)
}
