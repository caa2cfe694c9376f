//! Clients of the outside services the CRM talks to, each a real client of the real protocol
//! with a configurable base URL, each behind a trait so the application layer names what it
//! needs and tests can point it at a local fake that speaks the same protocol.

pub mod delivery;
pub mod google_calendar;
mod http;
pub mod mail;
pub mod microsoft_calendar;
pub mod oauth;
pub mod sms;
pub mod tls;
pub mod webhook_signatures;
pub mod whatsapp;

pub use delivery::DeliveryError;
