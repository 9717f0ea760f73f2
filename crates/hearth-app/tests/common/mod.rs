//! A loaded demo world and its principals, shared by the use-case tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_app::demo::Scale;
use hearth_app::{App, Principal};
use hearth_store::testing;

pub struct World {
    pub app: App,
    pub officer: Principal,
    pub board: Principal,
    pub provider: Principal,
    pub limited: Principal,
    _db: testing::TestDb,
}

/// The small demo data on `t`, with the principals of the demo accounts.
pub async fn world(t: testing::TestDb) -> World {
    let app = App::new(t.db.clone(), Default::default());
    app.load_demo(Scale::Small, 7, &|_| {}).await.unwrap();
    let p = |name: &'static str| {
        let app = app.clone();
        async move {
            let u = app
                .db_for_tests()
                .user_by_username(name)
                .await
                .unwrap()
                .unwrap();
            app.principal_for(u, None).await.unwrap().unwrap()
        }
    };
    World {
        officer: p("officer").await,
        board: p("board").await,
        provider: p("provider").await,
        limited: p("limited").await,
        app,
        _db: t,
    }
}
