//! The embedded models (documentation stripped by build.rs) hold every operation and shape of
//! the pinned botocore models, with the same wire traits.

use paritytest_emulator::model::{all_pinned, Model};

#[test]
fn embedded_models_match_the_pinned_files() {
    for pinned in all_pinned() {
        let path = format!(
            "{}/../models/{}/service-2.json",
            env!("CARGO_MANIFEST_DIR"),
            pinned.service
        );
        let original = Model::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let embedded = pinned.get();
        assert_eq!(embedded.protocol, original.protocol, "{}", pinned.service);
        let names = |m: &Model| m.operations.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(embedded), names(&original), "{}", pinned.service);
        assert_eq!(
            embedded.shapes.len(),
            original.shapes.len(),
            "{}",
            pinned.service
        );
        for (name, op) in &original.operations {
            let e = &embedded.operations[name];
            assert_eq!(
                (&e.http.method, &e.http.request_uri),
                (&op.http.method, &op.http.request_uri)
            );
            assert_eq!(
                e.output.as_ref().and_then(|o| o.result_wrapper.clone()),
                op.output.as_ref().and_then(|o| o.result_wrapper.clone())
            );
        }
        for (name, shape) in &original.shapes {
            let e = &embedded.shapes[name];
            assert_eq!(e.kind, shape.kind, "{name}");
            let members = |s: &paritytest_emulator::model::Shape| {
                s.members
                    .iter()
                    .map(|(k, r)| {
                        (
                            k.clone(),
                            r.shape.clone(),
                            r.location.clone(),
                            r.location_name.clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(members(e), members(shape), "{}.{name}", pinned.service);
        }
    }
}
