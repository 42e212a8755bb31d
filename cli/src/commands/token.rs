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
    /// Comma-separated groups (`manager`, `emea`, …), what `group:<name>` approval rules match.
    #[arg(long, default_value = "")]
    pub groups: String,
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
    let groups: Vec<String> = args
        .groups
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect();
    let claims = revloop_cli::token::claims(&args.tenant, &args.sub, &roles, args.ttl_secs)?;
    let claims = revloop_domain::auth::Claims { groups, ..claims };
    println!("{}", revloop_cli::token::sign(&args.secret, &claims)?);
    Ok(0)
}
