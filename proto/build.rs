//! Compiles revloop/v1/*.proto with the pure-Rust protox compiler (no protoc needed) and keeps
//! the encoded descriptor set for gRPC reflection.

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=revloop/v1/revloop.proto");
    let fds = protox::compile(["revloop/v1/revloop.proto"], ["."])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("revloop_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .type_attribute(".", "#[derive(serde::Serialize)]")
        .compile_fds(fds)?;
    Ok(())
}
