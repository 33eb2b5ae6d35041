//! The station's configuration: `station.toml`, every key optional.
//!
//! With no file the station runs on its defaults: the store in `./station-data`, HTTP on
//! `127.0.0.1:8080`. Unknown keys are refused with the file, line and key, so a typo
//! never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::numbering::{Scheme, SchemeConfig, SchemeError};
use crate::store::{StoreOptions, DEFAULT_CACHE_BYTES};

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the store, labels and control socket live.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// HTTP listen address; binding beyond loopback is an explicit choice.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// This station's name, stamped on every event.
    #[serde(default = "default_station")]
    pub station_name: String,
    /// Loan period in days.
    #[serde(default = "default_loan_days")]
    pub loan_days: u32,
    /// sled page cache in MiB.
    #[serde(default = "default_cache_mib")]
    pub cache_mib: u64,
    /// Archive numbering schemes.
    #[serde(default, rename = "scheme")]
    pub schemes: Vec<SchemeConfig>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("./station-data")
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_station() -> String {
    "station".to_owned()
}

fn default_loan_days() -> u32 {
    30
}

fn default_cache_mib() -> u64 {
    DEFAULT_CACHE_BYTES / (1024 * 1024)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: default_data_dir(),
            listen: default_listen(),
            station_name: default_station(),
            loan_days: default_loan_days(),
            cache_mib: default_cache_mib(),
            schemes: Vec::new(),
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("无法读取配置文件 {path}：{source} / cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    #[error("配置文件 {path} 有误：{message} / config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: String,
        /// toml's message, with line and column.
        message: String,
    },
    /// A numbering scheme is invalid.
    #[error("配置文件 {path}：{source}")]
    Scheme {
        /// The file.
        path: String,
        /// Why.
        source: SchemeError,
    },
    /// Two schemes share a name.
    #[error("配置文件 {path}：编号方案 {name} 重复 / config file {path}: scheme {name} is defined twice")]
    DuplicateScheme {
        /// The file.
        path: String,
        /// The name.
        name: String,
    },
    /// A value is out of range.
    #[error("配置文件 {path}：{message}")]
    Value {
        /// The file.
        path: String,
        /// What is wrong, bilingual.
        message: String,
    },
}

impl Config {
    /// Reads `path`, or the defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: display.clone(),
            source,
        })?;
        Config::parse(&text, &display)
    }

    /// Parses configuration text; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: origin.to_owned(),
            message: error.to_string().trim().to_owned(),
        })?;
        config.schemes(origin)?;
        if config.loan_days == 0 || config.loan_days > 3650 {
            return Err(ConfigError::Value {
                path: origin.to_owned(),
                message: "loan_days 应在 1–3650 之间 / loan_days must be between 1 and 3650"
                    .to_owned(),
            });
        }
        if config.cache_mib < 4 || config.cache_mib > 64 * 1024 {
            return Err(ConfigError::Value {
                path: origin.to_owned(),
                message: "cache_mib 应在 4–65536 之间 / cache_mib must be between 4 and 65536"
                    .to_owned(),
            });
        }
        Ok(config)
    }

    /// The numbering schemes, parsed.
    pub fn schemes(&self, origin: &str) -> Result<Vec<Scheme>, ConfigError> {
        let mut out: Vec<Scheme> = Vec::new();
        for scheme in &self.schemes {
            let parsed = Scheme::new(&scheme.name, &scheme.template).map_err(|source| {
                ConfigError::Scheme {
                    path: origin.to_owned(),
                    source,
                }
            })?;
            if out.iter().any(|existing| existing.name() == parsed.name()) {
                return Err(ConfigError::DuplicateScheme {
                    path: origin.to_owned(),
                    name: parsed.name().to_owned(),
                });
            }
            out.push(parsed);
        }
        Ok(out)
    }

    /// Store options from this configuration.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            cache_bytes: self.cache_mib * 1024 * 1024,
            station: self.station_name.clone(),
            ..StoreOptions::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_means_defaults() {
        let config = Config::load(None).expect("defaults");
        assert_eq!(config.data_dir, PathBuf::from("./station-data"));
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.loan_days, 30);
    }

    #[test]
    fn a_full_file_parses() {
        let config = Config::parse(
            r#"
data_dir = "/var/lib/station"
listen = "127.0.0.1:9090"
station_name = "counter-1"
loan_days = 14
cache_mib = 128

[[scheme]]
name = "loan"
template = "{year}鸿借字第{seq:03}号"
"#,
            "station.toml",
        )
        .expect("valid");
        assert_eq!(config.loan_days, 14);
        let schemes = config.schemes("station.toml").expect("valid schemes");
        assert_eq!(schemes[0].format(2012, 1), "2012鸿借字第001号");
        assert_eq!(config.store_options().cache_bytes, 128 * 1024 * 1024);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let error = Config::parse("listn = \"127.0.0.1:1\"\n", "station.toml")
            .expect_err("typo refused")
            .to_string();
        assert!(
            error.contains("station.toml") && error.contains("listn"),
            "{error}"
        );
        let error = Config::parse(
            "[[scheme]]\nname = \"a\"\ntemplate = \"{yr}{seq}\"\n",
            "s.toml",
        )
        .expect_err("bad template")
        .to_string();
        assert!(error.contains("{yr}"), "{error}");
        let error = Config::parse("loan_days = 0\n", "s.toml")
            .expect_err("zero loan days")
            .to_string();
        assert!(error.contains("loan_days"), "{error}");
    }
}
