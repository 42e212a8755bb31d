use anyhow::Context;
use revloop_domain::auth::Role;

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    #[arg(long)]
    pub tenant: String,
    #[arg(long, default_value = "operator")]
    pub sub: String,
    /// Comma-separated: viewer, approver, admin.
    #[arg(long, default_value = "viewer")]
    pub roles: String,
    #[arg(long, default_value_t = 12 * 3600)]
    pub ttl_secs: u64,
    #[arg(long, env = "REVLOOP_JWT_SECRET", hide_env_values = true)]
    pub secret: String,
}

pub fn run(args: &TokenArgs) -> anyhow::Result<i32> {
    let roles = args
        .roles
        .split(',')
        .map(|r| {
            Role::parse(r.trim())
                .with_context(|| format!("--roles: unknown role {r:?} (viewer, approver, admin)"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "{}",
        revloop_cli::token::mint(&args.secret, &args.tenant, &args.sub, &roles, args.ttl_secs)?
    );
    Ok(0)
}
