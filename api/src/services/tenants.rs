//! TenantService: read and replace a tenant's configuration (signal thresholds, governance).

use revloop_domain::auth::Role;
use revloop_domain::config_rules;
use revloop_domain::decision::builtin_playbooks;
use revloop_proto::v1 as pb;
use revloop_proto::v1::tenant_service_server::TenantService;
use revloop_store::{Tenant, TenantConfig};
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::error;
use crate::server::AppState;

pub struct TenantApi {
    state: AppState,
}

impl TenantApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn response(tenant: &Tenant) -> Result<Response<pb::TenantConfigResponse>, Status> {
    let config_toml = toml::to_string(&tenant.config)
        .map_err(|e| Status::internal(format!("encoding config: {e}")))?;
    Ok(Response::new(pb::TenantConfigResponse {
        tenant_id: tenant.tenant_id.clone(),
        config_toml,
    }))
}

#[tonic::async_trait]
impl TenantService for TenantApi {
    async fn get_tenant_config(
        &self,
        request: Request<pb::GetTenantConfigRequest>,
    ) -> Result<Response<pb::TenantConfigResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let stored = self
            .state
            .store
            .get_tenant(&tenant)
            .await
            .map_err(error::store)?;
        let stored = stored.unwrap_or(Tenant {
            tenant_id: tenant.clone(),
            name: tenant,
            config: TenantConfig::default(),
        });
        response(&stored)
    }

    async fn set_tenant_config(
        &self,
        request: Request<pb::SetTenantConfigRequest>,
    ) -> Result<Response<pb::TenantConfigResponse>, Status> {
        let (_, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let config = parse_tenant_config(&request.get_ref().config_toml)
            .map_err(Status::invalid_argument)?;
        let name = self
            .state
            .store
            .get_tenant(&tenant)
            .await
            .map_err(error::store)?
            .map_or_else(|| tenant.clone(), |t| t.name);
        let updated = Tenant {
            tenant_id: tenant,
            name,
            config,
        };
        self.state
            .store
            .put_tenant(&updated)
            .await
            .map_err(error::store)?;
        response(&updated)
    }
}

/// Reads a tenant config from TOML and checks what TOML alone cannot: that its compliance
/// policies parse as Cedar. Errors name the key.
pub fn parse_tenant_config(text: &str) -> Result<TenantConfig, String> {
    if text.len() > config_rules::MAX_CONFIG_BYTES {
        return Err(format!(
            "config_toml: {} bytes is more than the {} a tenant config may have",
            text.len(),
            config_rules::MAX_CONFIG_BYTES
        ));
    }
    let config: TenantConfig = toml::from_str(text).map_err(|e| format!("config_toml: {e}"))?;
    config_rules::check(
        &config.signals,
        &config.governance,
        &config.budgets,
        &config.world,
    )
    .map_err(|e| format!("config_toml: {e}"))?;
    config
        .governance
        .compliance
        .check()
        .map_err(|e| format!("config_toml: governance.compliance: {e}"))?;
    let playbooks: Vec<&str> = builtin_playbooks().iter().map(|p| p.name()).collect();
    config
        .playbooks
        .check(&playbooks)
        .map_err(|e| format!("config_toml: {e}"))?;
    config
        .decision
        .check(&revloop_activities::models::names())
        .map_err(|e| format!("config_toml: {e}"))?;
    config
        .approval
        .check()
        .map_err(|e| format!("config_toml: approval: {e}"))?;
    config
        .notify
        .check()
        .map_err(|e| format!("config_toml: {e}"))?;
    if let Some(mail) = &config.mail {
        mail.check().map_err(|e| format!("config_toml: {e}"))?;
    }
    config
        .writeback
        .check()
        .map_err(|e| format!("config_toml: {e}"))?;
    config
        .tools
        .check()
        .map_err(|e| format!("config_toml: {e}"))?;
    if let Some(crm) = &config.crm {
        crm.check().map_err(|e| format!("config_toml: {e}"))?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the README, so it cannot drift from what the API accepts.
    fn readme_example(first_line: &str) -> String {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find(&format!("```toml\n{first_line}"))
            .expect("the README has the example");
        let body = &readme[start + "```toml\n".len()..];
        body[..body.find("```").expect("the example ends")].to_string()
    }

    #[test]
    fn the_readme_example_is_a_valid_config() {
        let config = parse_tenant_config(&readme_example("[governance]")).unwrap();
        let world = parse_tenant_config(&readme_example("[world]")).unwrap();
        assert_eq!(world.world.trusted[0], "contract");
        assert_eq!(config.budgets.len(), 1);
        assert_eq!(
            config.governance.compliance.denied_actions,
            ["send_follow_up"]
        );
        assert!(
            config
                .governance
                .compliance
                .cedar
                .contains("hold-follow-ups")
        );
    }

    #[test]
    fn broken_cedar_and_unknown_keys_are_refused_by_name() {
        let broken = "[governance.compliance]\ncedar = \"forbid(principal\"\n";
        let err = parse_tenant_config(broken).unwrap_err();
        assert!(
            err.starts_with("config_toml: governance.compliance:"),
            "{err}"
        );
        let typo = "[governance.compliance]\ndenied_action = [\"x\"]\n";
        let err = parse_tenant_config(typo).unwrap_err();
        assert!(err.contains("denied_action"), "{err}");
        let unknown = "[playbooks.usage_drop]\nenabled = false\n";
        let err = parse_tenant_config(unknown).unwrap_err();
        assert!(
            err.contains("playbooks.usage_drop: no such playbook"),
            "{err}"
        );
        let bad_key = "[playbooks.usage_drop_check_in]\nenable = false\n";
        assert!(parse_tenant_config(bad_key).unwrap_err().contains("enable"));
    }

    #[test]
    fn settings_that_turn_controls_off_are_refused_with_the_key() {
        for (toml, key) in [
            (
                "[signals]\nusage_drop_pct = -50\n",
                "signals.usage_drop_pct",
            ),
            (
                "[signals]\nchampion_drop_pct = 500\n",
                "signals.champion_drop_pct",
            ),
            (
                "[signals]\nrenewal_window_days = 0\n",
                "signals.renewal_window_days",
            ),
            (
                "[governance]\nungrounded_verdict = \"ALLOW\"\n",
                "governance.ungrounded_verdict",
            ),
            (
                "[governance.compliance]\ndenied_actions = [\"send_folow_up\"]\n",
                "governance.compliance.denied_actions",
            ),
            (
                "[governance.default_ttl]\nsoft_secs = 10\nhard_secs = 5\n",
                "governance.default_ttl",
            ),
            (
                "[[budgets]]\nscope = \"tenant\"\nperiod = \"day\"\ncost_class = \"CHEAP\"\nsoft = 9\nhard = 1\n",
                "budgets[0]",
            ),
        ] {
            let err = parse_tenant_config(toml).unwrap_err();
            assert!(
                err.starts_with(&format!("config_toml: {key}")),
                "{toml}: {err}"
            );
        }
        let huge = format!("# {}\n", "x".repeat(3 * 1024 * 1024));
        assert!(
            parse_tenant_config(&huge)
                .unwrap_err()
                .contains("more than")
        );
    }

    #[test]
    fn the_readme_playbooks_example_is_a_valid_config() {
        let config = parse_tenant_config(&readme_example("[playbooks.")).unwrap();
        assert!(!config.playbooks.setting("partnership_note").enabled);
    }

    #[test]
    fn the_readme_approval_example_is_a_valid_config() {
        use revloop_domain::decision::approvers::Approvers;
        let config = parse_tenant_config(&readme_example("[approval]")).unwrap();
        assert_eq!(
            config.approval.rules[0].who,
            Approvers::Group("manager".into())
        );
        assert!(config.approval.cedar.contains("discounts-need-a-manager"));
        let typo = parse_tenant_config("[decision]\nmodel = \"playbook\"\n").unwrap_err();
        assert!(typo.contains("decision.model: no decision model"), "{typo}");
    }
}
