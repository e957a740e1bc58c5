//! The OpenAPI document describes every route.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn openapi_describes_every_route() {
    let s = Server::start().await;
    let (status, doc) = send(s.req(Method::GET, "/api/v1/openapi.json", None)).await;
    assert_eq!(status, StatusCode::OK);
    let routes = [
        ("get", "/healthz"),
        ("get", "/metrics"),
        ("post", "/api/v1/imports"),
        ("get", "/api/v1/imports"),
        ("get", "/api/v1/imports/{id}"),
        ("get", "/api/v1/imports/{id}/file"),
        ("post", "/api/v1/imports/{id}/void"),
        ("post", "/api/v1/imports/{id}/restore"),
        ("post", "/api/v1/inspections/{id}/amendments"),
        ("get", "/api/v1/inspections/{id}/versions"),
        ("post", "/api/v1/inspections/{id}/void"),
        ("post", "/api/v1/earthing-tests/{id}/amendments"),
        ("get", "/api/v1/earthing-tests/{id}/versions"),
        ("post", "/api/v1/earthing-tests/{id}/void"),
        ("get", "/api/v1/instruments"),
        ("get", "/api/v1/instruments/{id}"),
        ("get", "/api/v1/inspections"),
        ("get", "/api/v1/inspections/{id}"),
        ("get", "/api/v1/earthing-points"),
        ("get", "/api/v1/earthing-points/{id}"),
        ("get", "/api/v1/earthing-tests"),
        ("get", "/api/v1/categories"),
        ("put", "/api/v1/categories/{code}"),
        ("post", "/api/v1/categories/{code}/cycles"),
        ("get", "/api/v1/settings/report"),
        ("put", "/api/v1/settings/report"),
        ("get", "/api/v1/plans"),
        ("put", "/api/v1/plans/{period}/{metric}"),
        ("delete", "/api/v1/plans/{period}/{metric}"),
        ("get", "/api/v1/inspected-instruments"),
        ("get", "/api/v1/measured-points"),
        ("get", "/api/v1/achievement"),
        ("get", "/api/v1/reports/{period}"),
        ("get", "/api/v1/due"),
        ("get", "/api/v1/audit"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("post", "/api/v1/tokens/{id}/revoke"),
    ];
    let paths = doc["paths"].as_object().expect("paths");
    let documented: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |o| o.len()))
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "no undocumented extra: {:?}",
        paths.keys()
    );
    for (method, path) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is documented");
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
        // Every route is served: nothing answers 404 or 405 for a documented path.
        let concrete = path
            .replace("{id}", "1")
            .replace("{period}", "2023-10")
            .replace("{metric}", "inspections");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let status = s
            .req(m, &concrete, Some(s.token('A', Role::Admin)))
            .send()
            .await
            .expect("request")
            .status();
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED
                && (status != StatusCode::NOT_FOUND || path.contains('{')),
            "{method} {concrete}: {status}"
        );
    }
    let put = &doc["paths"]["/api/v1/plans/{period}/{metric}"]["put"];
    assert!(put["requestBody"]["content"]["application/json"].is_object());
    let upload = &doc["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"];
    assert!(upload["text/csv"].is_object() && upload["multipart/form-data"].is_object());
    let docs = s
        .http
        .get(format!("{}/api/docs/", s.base))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
}

/// Every `$ref` in `value`, anywhere.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// What a client generator needs from the document (issue #18): a good function name,
/// a summary and the security of every operation, a description on every response, the
/// errors as problem documents, the words of the parameters as enums, the upload's and
/// the report's media types. (`.ci/run` also validates it against the OpenAPI 3.1 schema
/// and generates a client from it: tests/api_client.)
#[tokio::test(flavor = "multi_thread")]
async fn openapi_gives_a_generator_what_it_needs() {
    let s = Server::start().await;
    let (status, doc) = send(s.req(Method::GET, "/api/v1/openapi.json", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let verbs = [
        "get", "list", "create", "set", "upload", "void", "revoke", "amend", "restore", "delete",
    ];
    let mut ids = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let here = format!("{method} {path}");
            let id = op["operationId"].as_str().expect("operationId");
            let words: Vec<&str> = id.split('_').collect();
            assert!(
                verbs.contains(&words[0])
                    && words
                        .iter()
                        .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{here}: operationId {id:?} is a snake_case verb phrase"
            );
            ids.push(id.to_owned());
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.is_empty() && !summary.contains('\n'),
                "{here}: a one-line summary"
            );
            let security = op["security"].as_array().expect("security per operation");
            if path == "/healthz" {
                assert_eq!(op["security"], json!([{}]), "{here}: no authentication");
            } else {
                assert_eq!(
                    security,
                    &vec![json!({"bearer": []}), json!({"basic": []})],
                    "{here}"
                );
            }
            for (code, response) in op["responses"].as_object().expect("responses") {
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.is_empty(), "{here} {code}: a description");
                if code.starts_with('4') {
                    assert_eq!(
                        response["content"],
                        json!({"application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/ProblemDetails"}
                        }}),
                        "{here} {code}: a problem document"
                    );
                }
            }
        }
    }
    assert!(
        ids.len() >= 24,
        "every route (openapi_describes_every_route counts them)"
    );
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "operationIds are unique: {ids:?}");

    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r} is a schema"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} resolves"
        );
    }

    let schema = |name: &str| &doc["components"]["schemas"][name];
    let param = |path: &str, method: &str, name: &str| {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} takes {name}"))
            .clone()
    };
    assert_eq!(
        schema("SchemeParam")["enum"],
        json!(["decree09", "calendar"])
    );
    assert_eq!(
        schema("MetricParam")["enum"],
        json!([
            "instruments_inspected",
            "inspections",
            "earthing_points_measured"
        ])
    );
    assert_eq!(
        schema("EncodingParam")["enum"],
        json!(["utf-8", "utf-16le", "utf-16be", "windows-1258"])
    );
    let scheme = param("/api/v1/inspections", "get", "scheme");
    assert_eq!(scheme["schema"]["$ref"], "#/components/schemas/SchemeParam");
    let limit = param("/api/v1/inspections", "get", "limit");
    assert_eq!(
        (&limit["schema"]["minimum"], &limit["schema"]["maximum"]),
        (&json!(1), &json!(1000))
    );
    let as_of = param("/api/v1/due", "get", "as_of");
    assert_eq!(as_of["schema"]["format"], "date");
    let kind = param("/api/v1/imports", "post", "kind");
    assert_eq!(kind["required"], true);
    assert_eq!(kind["schema"]["$ref"], "#/components/schemas/LogKindParam");

    let upload = &doc["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"];
    assert_eq!(
        schema("CsvLog"),
        &json!({"type": "string", "format": "binary", "contentMediaType": "text/csv",
                "description": schema("CsvLog")["description"]})
    );
    assert_eq!(
        upload["text/csv"]["schema"]["$ref"],
        "#/components/schemas/CsvLog"
    );
    assert_eq!(
        schema("UploadForm")["properties"]["file"]["format"],
        "binary"
    );
    let report = &doc["paths"]["/api/v1/reports/{period}"]["get"]["responses"]["200"]["content"];
    assert_eq!(report["text/plain"]["schema"]["type"], "string");
    assert_eq!(
        report["application/json"]["schema"]["$ref"],
        "#/components/schemas/PeriodAchievementDto"
    );
}

/// A reader's GET of `path`, with `tag` as `If-None-Match`: the status, the `ETag`, the body.
async fn poll(s: &Server, path: &str, tag: Option<String>) -> (StatusCode, Option<String>, String) {
    let mut request = s.req(Method::GET, path, Some(s.token('A', Role::Reader)));
    if let Some(tag) = tag {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().expect("etag").to_owned());
    (status, etag, response.text().await.expect("body"))
}

/// A portal polling the figures: the answer carries an `ETag`; asking again with it in
/// `If-None-Match` is 304 with no body until the figures change (a new plan here), and
/// each report (language, format) has its own tag.
#[tokio::test(flavor = "multi_thread")]
async fn the_figures_answer_304_while_unchanged() {
    let s = Server::start().await;
    let supervisor = s.token('A', Role::Supervisor);
    let (status, _) = s
        .upload(
            supervisor,
            "inspections",
            "demo/inspections-2023-10.excel-vi.csv",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let plan = |target| s.set_plan(supervisor, "2023-10", "instruments_inspected", target);
    assert_eq!(plan(402).await, StatusCode::OK);

    let figures = "/api/v1/achievement?period=2023-10";
    let (status, tag, body) = poll(&s, figures, None).await;
    assert_eq!(status, StatusCode::OK);
    let first: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(metric(&first, "instruments_inspected")["percent"], 116);
    let tag = tag.expect("an ETag");
    assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");

    let (status, again, body) = poll(&s, figures, Some(tag.clone())).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!((again.as_deref(), body.as_str()), (Some(tag.as_str()), ""));
    let (status, _, _) = poll(&s, figures, Some("\"something else\"".to_owned())).await;
    assert_eq!(status, StatusCode::OK);

    // Each rendering is its own representation with its own tag.
    let vi = poll(&s, "/api/v1/reports/2023-10?lang=vi", None).await;
    let en = poll(&s, "/api/v1/reports/2023-10?lang=en", None).await;
    assert!(
        vi.2.contains("467 PTĐ") && vi.2.contains("116%"),
        "{}",
        vi.2
    );
    let (vi_tag, en_tag) = (vi.1.expect("etag"), en.1.expect("etag"));
    assert!(vi_tag != en_tag && vi_tag != tag);
    let (status, _, body) = poll(&s, "/api/v1/reports/2023-10?lang=vi", Some(vi_tag.clone())).await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_MODIFIED, ""));

    // A new plan changes the figures: the old tag no longer matches.
    assert_eq!(plan(400).await, StatusCode::OK);
    let (status, changed, body) = poll(&s, figures, Some(tag.clone())).await;
    assert_eq!(status, StatusCode::OK);
    let now: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(metric(&now, "instruments_inspected")["percent"], 117);
    assert_ne!(changed.expect("etag"), tag);
    let (status, _, _) = poll(&s, "/api/v1/reports/2023-10?lang=vi", Some(vi_tag)).await;
    assert_eq!(status, StatusCode::OK);
}

/// Where `served` breaks a client written against `stored` (docs/api/compatibility.md):
/// a route, operationId, parameter, response, media type, schema, property, guaranteed
/// field or enum word that is gone or changed, or an input that became required.
fn breaking_changes(stored: &Value, served: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let empty = serde_json::Map::new();
    let obj = |v: &Value| v.as_object().cloned().unwrap_or_else(|| empty.clone());
    let words = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|w| w.as_str().map_or_else(|| w.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    // The type, format, reference and enum words of a schema, as a client reads them.
    let same_schema = |at: &str, old: &Value, new: &Value, out: &mut Vec<String>| {
        for key in ["type", "format", "$ref"] {
            if old[key] != new[key] {
                out.push(format!("{at}: {key} {} is now {}", old[key], new[key]));
            }
        }
        let now = words(&new["enum"]);
        for word in words(&old["enum"]) {
            if !now.contains(&word) {
                out.push(format!("{at}: the word {word} is gone"));
            }
        }
    };
    // The schemas requests send: they may not gain a required property.
    let mut inputs = Vec::new();
    for item in obj(&stored["paths"]).values() {
        for op in obj(item).values() {
            let mut found = Vec::new();
            refs(&op["requestBody"], &mut found);
            inputs.extend(found.into_iter().map(str::to_owned));
        }
    }

    for (path, item) in obj(&stored["paths"]) {
        for (method, old) in obj(&item) {
            let at = format!("{} {path}", method.to_uppercase());
            let new = &served["paths"][&path][&method];
            if !new.is_object() {
                out.push(format!("{at}: the route is gone"));
                continue;
            }
            if old["operationId"] != new["operationId"] {
                out.push(format!(
                    "{at}: operationId {} is now {}",
                    old["operationId"], new["operationId"]
                ));
            }
            let params = |op: &Value| -> Vec<Value> {
                op["parameters"].as_array().cloned().unwrap_or_default()
            };
            let find = |list: &[Value], p: &Value| {
                list.iter()
                    .find(|q| q["name"] == p["name"] && q["in"] == p["in"])
                    .cloned()
            };
            let (old_params, new_params) = (params(&old), params(new));
            for p in &old_params {
                let name = format!("{at}: parameter {}", p["name"]);
                match find(&new_params, p) {
                    None => out.push(format!("{name} is gone")),
                    Some(q) => same_schema(&name, &p["schema"], &q["schema"], &mut out),
                }
            }
            for q in &new_params {
                let was_required = find(&old_params, q).is_some_and(|p| p["required"] == true);
                if q["required"] == true && !was_required {
                    out.push(format!("{at}: parameter {} is now required", q["name"]));
                }
            }
            for media in obj(&old["requestBody"]["content"]).keys() {
                if !new["requestBody"]["content"][media].is_object() {
                    out.push(format!("{at}: the request body {media} is gone"));
                }
            }
            for (status, response) in obj(&old["responses"]) {
                let now = &new["responses"][&status];
                if !now.is_object() {
                    out.push(format!("{at}: the {status} response is gone"));
                    continue;
                }
                for (media, content) in obj(&response["content"]) {
                    let name = format!("{at}: {status} {media}");
                    match now["content"].get(&media) {
                        None => out.push(format!("{name} is gone")),
                        Some(c) => same_schema(&name, &content["schema"], &c["schema"], &mut out),
                    }
                }
            }
        }
    }
    for (name, old) in obj(&stored["components"]["schemas"]) {
        let new = &served["components"]["schemas"][&name];
        if !new.is_object() {
            out.push(format!("schema {name} is gone"));
            continue;
        }
        same_schema(&format!("schema {name}"), &old, new, &mut out);
        for (field, schema) in obj(&old["properties"]) {
            let at = format!("{name}.{field}");
            match new["properties"].get(&field) {
                None => out.push(format!("{at} is gone")),
                Some(now) => same_schema(&at, &schema, now, &mut out),
            }
        }
        let (was, now) = (words(&old["required"]), words(&new["required"]));
        for field in was.iter().filter(|f| !now.contains(f)) {
            out.push(format!("{name}.{field} is no longer always there"));
        }
        if inputs.contains(&format!("#/components/schemas/{name}")) {
            for field in now.iter().filter(|f| !was.contains(f)) {
                out.push(format!("{name}.{field}: a request must now send it"));
            }
        }
    }
    out.sort();
    out
}

/// The compatibility rule of `/api/v1` (docs/api/compatibility.md): the served document
/// may add to the stored copy (docs/api/openapi-v1.json) but not take anything a client
/// uses away. Updating the copy is a deliberate act:
/// `METROTRACK_UPDATE_OPENAPI=1 cargo nextest run --test api -E 'test(openapi_keeps)'`.
#[tokio::test(flavor = "multi_thread")]
async fn openapi_keeps_what_clients_use() {
    let s = Server::start().await;
    let (status, served) = send(s.req(Method::GET, "/api/v1/openapi.json", None)).await;
    assert_eq!(status, StatusCode::OK);
    let copy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/api/openapi-v1.json");
    if std::env::var_os("METROTRACK_UPDATE_OPENAPI").is_some() {
        let text = serde_json::to_string_pretty(&served).expect("json") + "\n";
        std::fs::write(&copy, text).expect("write the stored copy");
    }
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&copy).expect("the stored copy"))
            .expect("the stored copy is JSON");
    assert_eq!(breaking_changes(&stored, &stored), Vec::<String>::new());
    let broken = breaking_changes(&stored, &served);
    assert!(
        broken.is_empty(),
        "the API took away what clients of /api/v1 use (docs/api/compatibility.md):\n  {}\n\
         If this is deliberate, update docs/api/openapi-v1.json (METROTRACK_UPDATE_OPENAPI=1).",
        broken.join("\n  ")
    );

    // The comparison sees what a client would miss, and lets additions pass.
    let mut changed = stored.clone();
    let paths = changed["paths"].as_object_mut().expect("paths");
    paths.remove("/api/v1/due");
    paths.insert(
        "/api/v1/new-thing".to_owned(),
        json!({"get": {"responses": {}}}),
    );
    let schemas = changed["components"]["schemas"]
        .as_object_mut()
        .expect("schemas");
    let dto = schemas["AchievementDto"]["properties"]
        .as_object_mut()
        .expect("props");
    dto.remove("percent");
    dto.insert("extra".to_owned(), json!({"type": "string"}));
    schemas["SchemeParam"]["enum"] = json!(["decree09"]);
    let set_plan = schemas["SetPlan"]["required"]
        .as_array_mut()
        .expect("required");
    set_plan.push(json!("category"));
    let inspections = &mut changed["paths"]["/api/v1/inspections"]["get"];
    inspections["operationId"] = json!("inspections");
    assert_eq!(
        breaking_changes(&stored, &changed),
        [
            "AchievementDto.percent is gone",
            "GET /api/v1/due: the route is gone",
            "GET /api/v1/inspections: operationId \"list_inspections\" is now \"inspections\"",
            "SetPlan.category: a request must now send it",
            "schema SchemeParam: the word calendar is gone",
        ]
    );
}
