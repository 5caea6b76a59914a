//! Embeds the committed OpenAPI documents of the public services, so the
//! gateway serves one merged document without reaching them at run time.
//! A service whose document does not exist yet is simply left out.

use std::{env, fs, path::Path};

/// ingest-events' document also describes internal endpoints, which the
/// merge leaves out.
const PUBLIC_SERVICES: &[&str] = &[
    "live-catalog",
    "stream-key",
    "chat-gateway",
    "ingest-events",
];

fn main() {
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let docs = Path::new(&manifest).join("../../docs/openapi");
    println!("cargo:rerun-if-changed={}", docs.display());
    let mut code = String::from(
        "/// (service, OpenAPI JSON) of every public service.\npub const SPECS: &[(&str, &str)] = &[\n",
    );
    for service in PUBLIC_SERVICES {
        let file = docs.join(format!("{service}.json"));
        println!("cargo:rerun-if-changed={}", file.display());
        if let Ok(path) = fs::canonicalize(&file) {
            code.push_str(&format!(
                "    ({service:?}, include_str!({:?})),\n",
                path.display().to_string()
            ));
        }
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("specs.rs");
    if let Err(e) = fs::write(&out, code) {
        panic!("writing {}: {e}", out.display());
    }
}
