//! Clients and leads, the worked example of a module's service (`docs/adding-a-module.md`):
//! the input a person or a file gives, validated and encrypted into what is stored (`input`);
//! the output every reader sees (`output`); the flows that read and change one client, shared
//! by the API and the import job (`flows`); and the list with its search, filters and pages
//! (`list`).

mod flows;
mod input;
mod list;
mod output;
#[cfg(feature = "openapi")]
mod schema;

pub use flows::{
    Origin, convert, convert_if_lead, create, create_prepared, get, get_including_deleted,
    set_deleted, update,
};
pub use input::{
    Address, ClientInput, MAX_EMAILS, MAX_PHONES, MAX_TAGS, TAG_CHARS, parse_emails, parse_phones,
    prepare,
};
pub use list::{ClientFilter, ClientQuery, ListKey, list};
pub use output::{ClientOut, client_out, redacted};
