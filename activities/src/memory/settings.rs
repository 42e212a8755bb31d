//! Which memory backend a process uses, from its flags or environment. The worker (which
//! writes) and the API (which searches) must be configured alike.

use std::path::Path;
use std::sync::Arc;

use aws_config::BehaviorVersion;

use revloop_store::VectorStore;

use super::{MemoryError, MemoryIndex, TantivyMemory, TitanMemory};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MemoryBackend {
    /// BM25 over a tantivy index: embedded, no network.
    Bm25,
    /// Amazon Bedrock Titan text embeddings, cosine-ranked.
    Titan,
}

#[derive(Debug, Clone, clap::Args)]
pub struct MemoryArgs {
    #[arg(
        long,
        env = "REVLOOP_MEMORY_BACKEND",
        value_enum,
        default_value = "bm25"
    )]
    pub memory_backend: MemoryBackend,
    /// Titan embeddings model for the `titan` backend.
    #[arg(
        long,
        env = "REVLOOP_TITAN_MODEL",
        default_value = "amazon.titan-embed-text-v2:0"
    )]
    pub titan_model: String,
    /// Vector size asked of the model (Titan v2: 256, 512 or 1024).
    #[arg(long, env = "REVLOOP_TITAN_DIMENSIONS", default_value_t = 256)]
    pub titan_dimensions: u32,
    /// Bedrock runtime endpoint, when not the region's own (a VPC endpoint, a test server).
    #[arg(long, env = "REVLOOP_BEDROCK_ENDPOINT")]
    pub bedrock_endpoint: Option<String>,
}

/// Why BM25 cannot run on a store without a local folder (the AWS backend).
pub const BM25_NEEDS_A_FOLDER: &str = "REVLOOP_MEMORY_BACKEND=bm25 keeps its index in a folder on one node, which replicas on other nodes cannot read; with REVLOOP_STORE=aws use REVLOOP_MEMORY_BACKEND=titan (vectors in DynamoDB, shared by every replica), or name the folder with REVLOOP_MEMORY_DIR for a single-node deployment";

/// Opens the configured backend: BM25's index lives in `dir` (a folder on this node), Titan's
/// vectors in `vectors` (the store). Credentials and region for Bedrock come from the standard
/// AWS chain (environment, profile, instance or pod role).
pub async fn open_memory(
    args: &MemoryArgs,
    dir: Option<&Path>,
    vectors: Arc<dyn VectorStore + Send + Sync>,
) -> Result<Arc<dyn MemoryIndex>, MemoryError> {
    match args.memory_backend {
        MemoryBackend::Bm25 => match dir {
            Some(dir) => Ok(Arc::new(TantivyMemory::new(dir))),
            None => Err(MemoryError(BM25_NEEDS_A_FOLDER.into())),
        },
        MemoryBackend::Titan => {
            let shared = aws_config::defaults(BehaviorVersion::latest()).load().await;
            let mut config = aws_sdk_bedrockruntime::config::Builder::from(&shared);
            if let Some(url) = &args.bedrock_endpoint {
                config = config.endpoint_url(url);
            }
            let client = aws_sdk_bedrockruntime::Client::from_conf(config.build());
            Ok(Arc::new(TitanMemory::new(
                client,
                &args.titan_model,
                args.titan_dimensions,
                vectors,
            )))
        }
    }
}
