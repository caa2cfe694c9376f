//! The cache of tenants' unwrapped data keys: never keeps a key that a rollback took away, and
//! answers repeated requests without reading the keys again.

use std::sync::Arc;
use std::time::Duration;

use db::TenantTx;
use db::crypto::{CipherCache, MasterKeys};
use tests::*;

#[tokio::test]
async fn a_key_created_in_a_rolled_back_transaction_is_never_served_from_the_cache() {
    let app = spawn_app().await;
    let t = app.tenant(&slug("cipher-cache")).await;
    let master = MasterKeys::parse(&test_master_keys()).expect("keys");
    let cache = CipherCache::new(Duration::from_secs(60));
    let stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tenant_data_keys WHERE tenant_id = $1")
            .bind(t.id)
            .fetch_one(&app.owner)
            .await
            .expect("count")
    };
    // Provisioning may or may not have made the first key; start from none.
    sqlx::query("DELETE FROM tenant_data_keys WHERE tenant_id = $1")
        .bind(t.id)
        .execute(&app.owner)
        .await
        .expect("clear");

    let mut tx = TenantTx::begin(&app.app_pool, t.id).await.expect("begin");
    let lost = cache.get(&mut tx, &master).await.expect("create");
    let sealed = lost.encrypt("B12345674");
    tx.rollback().await.expect("rollback");
    assert_eq!(stored().await, 0);

    let mut tx = TenantTx::begin(&app.app_pool, t.id).await.expect("begin");
    let first = cache.get(&mut tx, &master).await.expect("create again");
    assert!(!Arc::ptr_eq(&lost, &first));
    assert!(
        first.decrypt(&sealed).is_err(),
        "the rolled-back key must be gone"
    );
    let kept = first.encrypt("B12345674");
    tx.commit().await.expect("commit");
    assert_eq!(stored().await, 1);

    // Read back after commit: cached from now on, and the same key as the one committed.
    let mut tx = TenantTx::begin(&app.app_pool, t.id).await.expect("begin");
    let read = cache.get(&mut tx, &master).await.expect("read");
    assert_eq!(read.decrypt(&kept).expect("open"), "B12345674");
    tx.commit().await.expect("commit");
    let mut tx = TenantTx::begin(&app.app_pool, t.id).await.expect("begin");
    let again = cache.get(&mut tx, &master).await.expect("cached");
    assert!(Arc::ptr_eq(&read, &again));
    tx.commit().await.expect("commit");
    app.stop().await;
}
