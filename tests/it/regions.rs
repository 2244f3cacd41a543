use minzheng::ledger::ImportError;
use minzheng::region::import::import_regions;
use minzheng::region::store;

use minzheng::auth::Role;

use crate::common::{Backend, SMALL_TREE, TestApp, cli_event};
use crate::on_both_backends;

on_both_backends!(
    good_file_imports_and_reimport_changes_nothing,
    bad_file_is_refused_whole_with_every_error_by_line,
    file_may_extend_the_stored_tree,
    tree_page_and_api_show_children_and_counts,
    unknown_or_malformed_codes_answer_404,
);

async fn good_file_imports_and_reimport_changes_nothing(backend: Backend) {
    let t = TestApp::start(backend).await;
    let done = import_regions(
        t.database(),
        SMALL_TREE.as_bytes(),
        &cli_event("region.import"),
    )
    .await
    .unwrap();
    assert_eq!(done.rows, 8);
    assert_eq!(done.communities, 3);
    let again = import_regions(
        t.database(),
        SMALL_TREE.as_bytes(),
        &cli_event("region.import"),
    )
    .await
    .unwrap();
    assert_eq!(again.rows, 8);
    assert_eq!(store::count(t.database()).await.unwrap(), 8);
    let village = store::get(t.database(), "369921001001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(village.name, "李家村");
    assert_eq!(
        village.urban_rural,
        Some(minzheng::region::UrbanRural::Rural)
    );
    assert!(village.enabled);
    t.finish().await;
}

async fn bad_file_is_refused_whole_with_every_error_by_line(backend: Backend) {
    let t = TestApp::start(backend).await;
    let file = "code,name,urban_rural\n\
                369900,示范市,\n\
                369902,东湖区,\n\
                36990200,错位街道,\n\
                369902001,解放街道,城镇\n\
                369902001001,幸福社区,\n\
                369903001,孤儿街道,\n\
                369902,东湖区重复,\n";
    let err = import_regions(t.database(), file.as_bytes(), &cli_event("region.import"))
        .await
        .unwrap_err();
    let ImportError::Rejected(errors) = err else {
        panic!("expected a rejection, got {err}");
    };
    let lines: Vec<usize> = errors.iter().map(|e| e.row).collect();
    assert_eq!(lines, vec![4, 5, 6, 7, 8], "{errors:#?}");
    assert!(errors[0].reason.contains("6 位"), "{}", errors[0].reason);
    assert!(errors[1].reason.contains("其他级别请留空"));
    assert!(errors[2].reason.contains("城镇"));
    assert!(errors[3].reason.contains("369903 不存在"));
    assert!(errors[4].reason.contains("第 3 行"));
    // Nothing stored, not even the good rows.
    assert_eq!(store::count(t.database()).await.unwrap(), 0);
    t.finish().await;
}

async fn file_may_extend_the_stored_tree(backend: Backend) {
    let t = TestApp::start(backend).await;
    import_regions(
        t.database(),
        SMALL_TREE.as_bytes(),
        &cli_event("region.import"),
    )
    .await
    .unwrap();
    let more = "369902002,人民街道,\n369902002001,阳光社区,城镇\n";
    let done = import_regions(t.database(), more.as_bytes(), &cli_event("region.import"))
        .await
        .unwrap();
    assert_eq!(done.rows, 2);
    assert_eq!(store::count(t.database()).await.unwrap(), 10);
    // A second city is refused.
    let other = "369800,别的市,\n";
    assert!(matches!(
        import_regions(t.database(), other.as_bytes(), &cli_event("region.import")).await,
        Err(ImportError::Rejected(_))
    ));
    // A renamed node is updated in place (codes are the key).
    let rename = "369902002,人民路街道,\n";
    import_regions(t.database(), rename.as_bytes(), &cli_event("region.import"))
        .await
        .unwrap();
    assert_eq!(
        store::get(t.database(), "369902002")
            .await
            .unwrap()
            .unwrap()
            .name,
        "人民路街道"
    );
    t.finish().await;
}

async fn tree_page_and_api_show_children_and_counts(backend: Backend) {
    let t = TestApp::start(backend).await;
    import_regions(
        t.database(),
        SMALL_TREE.as_bytes(),
        &cli_event("region.import"),
    )
    .await
    .unwrap();

    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let page = t.get_as(&city, "/regions").await;
    assert_eq!(page.status, 200);
    for name in ["示范市", "东湖区", "解放街道", "幸福社区", "李家村"] {
        assert!(page.body.contains(name), "tree page lacks {name}");
    }

    let node = t.get_as(&city, "/regions/369902001").await;
    assert_eq!(node.status, 200);
    assert!(node.body.contains("幸福社区") && node.body.contains("和谐社区"));
    assert!(
        node.body.contains("href=\"/regions/369902\""),
        "breadcrumb links the district"
    );

    let api = t.get_as(&city, "/api/v1/regions/369900").await;
    assert_eq!(api.status, 200);
    let v = api.json();
    assert_eq!(v["name"], "示范市");
    assert_eq!(v["counts"]["districts"], 2);
    assert_eq!(v["counts"]["streets"], 2);
    assert_eq!(v["counts"]["communities"], 3);
    assert_eq!(v["counts"]["urban"], 2);
    assert_eq!(v["counts"]["rural"], 1);
    let children: Vec<&str> = v["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(children, vec!["369902", "369921"]);

    let list = t.get_as(&city, "/api/v1/regions").await.json();
    assert_eq!(list.as_array().unwrap().len(), 8);
    assert_eq!(list[0]["code"], "369900");
    t.finish().await;
}

async fn unknown_or_malformed_codes_answer_404(backend: Backend) {
    let t = TestApp::start(backend).await;
    import_regions(
        t.database(),
        SMALL_TREE.as_bytes(),
        &cli_event("region.import"),
    )
    .await
    .unwrap();
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    assert_eq!(t.get_as(&city, "/regions/369999").await.status, 404);
    assert_eq!(t.get_as(&city, "/regions/abc").await.status, 404);
    let api = t.get_as(&city, "/api/v1/regions/369902009").await;
    assert_eq!(api.status, 404);
    assert_eq!(api.header("content-type"), "application/problem+json");
    assert!(api.json()["detail"].as_str().unwrap().contains("369902009"));
    t.finish().await;
}
