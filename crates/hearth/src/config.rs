//! Configuration: defaults, then `hearth.toml`, then `HEARTH_` environment variables.
//! Secrets may come from files (`HEARTH_AUDIT_KEY_FILE`, `DATABASE_URL_FILE`).

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub max_connections: Option<u32>,
    pub audit_key: Option<String>,
    pub audit_key_file: Option<PathBuf>,
    pub public_url: Option<String>,
    pub node_name: Option<String>,
    pub log_format: Option<String>,
    pub idle_minutes: Option<i64>,
    pub absolute_hours: Option<i64>,
    /// No longer used (wrong passwords slow their source instead of locking the account);
    /// accepted so that old configuration files still load.
    #[allow(dead_code)]
    pub max_failed_logins: Option<i64>,
    #[allow(dead_code)]
    pub lock_minutes: Option<i64>,
    pub mail_transport: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub mail_from: Option<String>,
    pub run_jobs: Option<bool>,
    pub trusted_proxies: Option<Vec<String>>,
    pub public_requests_per_minute: Option<i64>,
    pub directory_cache_seconds: Option<u64>,
    pub metrics_addr: Option<String>,
}

/// The settled configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub max_connections: u32,
    pub audit_key: Vec<u8>,
    pub public_url: Option<String>,
    pub node_name: String,
    pub log_format: String,
    pub idle_minutes: i64,
    pub absolute_hours: i64,
    pub mail: hearth_jobs::MailConfig,
    pub run_jobs: bool,
    /// Proxies whose `X-Forwarded-For` gives the client's address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Requests a minute one address may make to the directory and the open API (0: no limit).
    pub public_requests_per_minute: i64,
    /// How long a node shows a directory row it has read before reading it again (0: never
    /// keeps one).
    pub directory_cache_seconds: u64,
    /// A separate address for `/metrics` (`HEARTH_METRICS_ADDR`). Unset: the main listener
    /// serves `/metrics` only to connections from the same machine not through a proxy.
    pub metrics_addr: Option<SocketAddr>,
}

/// Overrides from the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> Result<Option<T>> {
    match env(name) {
        Some(v) => v
            .parse::<T>()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name}={v} is not valid")),
        None => Ok(None),
    }
}

fn read_secret(path: &Path) -> Result<String> {
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("reading secret file {}", path.display()))?
        .trim()
        .to_string())
}

impl Config {
    pub fn load(o: &Overrides) -> Result<Config> {
        let file_path = o
            .config_file
            .clone()
            .or_else(|| env("HEARTH_CONFIG").map(PathBuf::from))
            .or_else(|| {
                Path::new("hearth.toml")
                    .exists()
                    .then(|| PathBuf::from("hearth.toml"))
            });
        let f: FileConfig = match &file_path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("in {}", p.display()))?
            }
            None => FileConfig::default(),
        };
        let listen_s = o
            .listen
            .clone()
            .or_else(|| env("HEARTH_LISTEN"))
            .or(f.listen.clone())
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_s
            .parse()
            .with_context(|| format!("listen address {listen_s} must look like 127.0.0.1:8080"))?;
        let data_dir = o
            .data_dir
            .clone()
            .or_else(|| env("HEARTH_DATA_DIR").map(PathBuf::from))
            .or(f.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("data"));
        let database_url = match env("DATABASE_URL").or_else(|| env("HEARTH_DATABASE_URL")) {
            Some(u) => u,
            None => match env("DATABASE_URL_FILE")
                .map(PathBuf::from)
                .or(f.database_url_file.clone())
            {
                Some(p) => read_secret(&p)?,
                None => f.database_url.clone().unwrap_or_else(|| {
                    format!("sqlite://{}", data_dir.join("hearth.db").display())
                }),
            },
        };
        // Environment before file; within each, the key before the key file.
        let audit_key = if let Some(k) = env("HEARTH_AUDIT_KEY") {
            k.into_bytes()
        } else if let Some(p) = env("HEARTH_AUDIT_KEY_FILE") {
            read_secret(Path::new(&p))?.into_bytes()
        } else if let Some(k) = f.audit_key.clone() {
            k.into_bytes()
        } else if let Some(p) = &f.audit_key_file {
            read_secret(p)?.into_bytes()
        } else {
            Vec::new() // made and kept in the data folder at start-up
        };
        let mail_transport = env("HEARTH_MAIL_TRANSPORT")
            .or(f.mail_transport.clone())
            .unwrap_or_else(|| "folder".into());
        let mail = match mail_transport.as_str() {
            "folder" => hearth_jobs::MailConfig::Folder(data_dir.join("mail")),
            "smtp" => hearth_jobs::MailConfig::Smtp {
                host: env("HEARTH_SMTP_HOST")
                    .or(f.smtp_host.clone())
                    .unwrap_or_else(|| "127.0.0.1".into()),
                port: env_parse("HEARTH_SMTP_PORT")?.or(f.smtp_port).unwrap_or(25),
                from: env("HEARTH_MAIL_FROM")
                    .or(f.mail_from.clone())
                    .unwrap_or_else(|| "Hearth <hearth@localhost>".into()),
            },
            other => bail!("mail_transport must be folder or smtp, not {other}"),
        };
        let log_format = env("HEARTH_LOG_FORMAT")
            .or(f.log_format.clone())
            .unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            bail!("log_format must be text or json, not {log_format}");
        }
        let proxies: Vec<String> = match env("HEARTH_TRUSTED_PROXIES") {
            Some(v) => v
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            None => f.trusted_proxies.clone().unwrap_or_default(),
        };
        let mut trusted_proxies = Vec::new();
        for p in proxies {
            trusted_proxies.push(
                p.parse::<std::net::IpAddr>()
                    .with_context(|| format!("trusted proxy {p} must be an IP address"))?,
            );
        }
        let public_requests_per_minute = env_parse("HEARTH_PUBLIC_REQUESTS_PER_MINUTE")?
            .or(f.public_requests_per_minute)
            .unwrap_or(hearth_domain::throttle::PUBLIC_PER_ADDRESS.max);
        if public_requests_per_minute < 0 {
            bail!("public_requests_per_minute must be 0 (no limit) or more");
        }
        let directory_cache_seconds = env_parse("HEARTH_DIRECTORY_CACHE_SECONDS")?
            .or(f.directory_cache_seconds)
            .unwrap_or(10);
        if directory_cache_seconds > 300 {
            bail!("directory_cache_seconds must be 300 or fewer (a change made on another node shows after that long)");
        }
        let metrics_addr =
            match env("HEARTH_METRICS_ADDR").or(f.metrics_addr.clone()) {
                Some(a) => Some(a.parse::<SocketAddr>().with_context(|| {
                    format!("metrics address {a} must look like 127.0.0.1:9090")
                })?),
                None => None,
            };
        Ok(Config {
            metrics_addr,
            trusted_proxies,
            public_requests_per_minute,
            directory_cache_seconds,
            listen,
            data_dir,
            database_url,
            max_connections: env_parse("HEARTH_MAX_CONNECTIONS")?
                .or(f.max_connections)
                .unwrap_or(8),
            audit_key,
            public_url: env("HEARTH_PUBLIC_URL").or(f.public_url.clone()),
            node_name: env("HEARTH_NODE_NAME")
                .or(f.node_name.clone())
                .unwrap_or_else(|| format!("hearth-{}", std::process::id())),
            log_format,
            idle_minutes: env_parse("HEARTH_IDLE_MINUTES")?
                .or(f.idle_minutes)
                .unwrap_or(20),
            absolute_hours: env_parse("HEARTH_ABSOLUTE_HOURS")?
                .or(f.absolute_hours)
                .unwrap_or(12),
            mail,
            run_jobs: env_parse("HEARTH_RUN_JOBS")?.or(f.run_jobs).unwrap_or(true),
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The SQLite file, when the database is SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|p| PathBuf::from(p.split('?').next().unwrap_or(p)))
    }
}
