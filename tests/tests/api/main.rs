//! Integration tests of the API against real Postgres and Redis: one binary, one module per
//! concern.

mod audit;
mod clients;
mod conventions;
mod jobs;
mod merges;
mod operations;
mod redis_outage;
mod roles;
mod tenancy;
mod tokens;
mod users;
