//! Settings administrators change while the station runs: numbering schemes and devices
//! (scanners, printers) added through the station ("origin station"), and which devices
//! are disabled.
//!
//! What `station.toml` defines ("origin config") is not stored here: it is read from the
//! file at every start. The callers pass the names the file uses (`taken`), so that a name
//! is never both a file definition and a stored one; a stored definition whose name the
//! file later takes is ignored (not deleted) by the runtime.
//!
//! Values are JSON rather than postcard: scanner and printer definitions use serde
//! defaults and a connect address written as text, which postcard cannot round-trip.
//! Every change is one [`Store::write`] with its event; a refused change writes nothing.

use super::Refusal;
use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{keys, Actor, Result, Store, StoreError, Tx};
use crate::devices::definition::{DeviceDefinition, InvalidDevice};
use crate::event::{Change, EventKind};
use crate::message;
use crate::message::Message;
use crate::model::Millis;
use crate::numbering::Scheme;

/// A numbering scheme added through the station (not in station.toml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StationScheme {
    /// Its name (letters, digits, `-`, `_`).
    pub name: String,
    /// Its template, e.g. `{year}鸿借字第{seq:03}号`.
    pub template: String,
    /// Retired: listed, but allocates no new numbers.
    pub retired: bool,
}

impl StationScheme {
    /// The parsed scheme.
    pub fn scheme(&self) -> Result<Scheme> {
        Ok(Scheme::new(&self.name, &self.template)?)
    }
}

impl From<InvalidDevice> for StoreError {
    fn from(invalid: InvalidDevice) -> StoreError {
        let InvalidDevice { name, problem } = invalid;
        Refusal::BadDevice {
            name,
            problem: problem.text,
        }
        .into()
    }
}

fn to_json<T: Serialize>(value: &T, key: &[u8]) -> Result<Vec<u8>> {
    // Plain structs of strings and numbers (paths checked to be UTF-8) always encode;
    // should one not, nothing is written and the caller hears why.
    serde_json::to_vec(value).map_err(|_| StoreError::corrupt(key))
}

fn from_json<T: DeserializeOwned>(bytes: &[u8], key: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|_| StoreError::corrupt(key))
}

fn contains(names: &[String], name: &str) -> bool {
    names.iter().any(|taken| taken == name)
}

impl Tx<'_> {
    /// Refuses to number from `scheme` when it is a station scheme that was retired
    /// (checked inside the allocating transaction, so a retirement is never raced). A
    /// station.toml scheme that took a retired one's name with another template is not
    /// that scheme and numbers on.
    pub(super) fn refuse_retired(&self, scheme: &Scheme) -> Result<()> {
        match self.json::<StationScheme>(&keys::scheme(scheme.name()))? {
            Some(stored) if stored.retired && stored.template == scheme.template() => {
                Err(Refusal::SchemeNotInUse(stored.name).into())
            }
            _ => Ok(()),
        }
    }

    fn json<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.get_raw(key)? {
            Some(bytes) => from_json(&bytes, key).map(Some),
            None => Ok(None),
        }
    }

    fn add_scheme(
        &mut self,
        name: &str,
        template: &str,
        taken: &[String],
    ) -> Result<StationScheme> {
        Scheme::new(name, template)?;
        if contains(taken, name) {
            return Err(Refusal::SchemeExists {
                name: name.to_owned(),
                place: ("在 station.toml 中定义", "defined in station.toml"),
            }
            .into());
        }
        let key = keys::scheme(name);
        if self.get_raw(&key)?.is_some() {
            return Err(Refusal::SchemeExists {
                name: name.to_owned(),
                place: (
                    "本站已添加，停用的方案也保留其名称",
                    "added on this station; a retired scheme keeps its name",
                ),
            }
            .into());
        }
        let scheme = StationScheme {
            name: name.to_owned(),
            template: template.to_owned(),
            retired: false,
        };
        self.put_raw(&key, &to_json(&scheme, &key)?)?;
        self.record(
            None,
            EventKind::SchemeAdded,
            vec![
                Change::new("scheme", None::<String>, Some(name)),
                Change::new("template", None::<String>, Some(template)),
            ],
        );
        Ok(scheme)
    }

    fn retire_scheme(&mut self, name: &str, taken: &[String]) -> Result<StationScheme> {
        let key = keys::scheme(name);
        let Some(mut scheme) = self.json::<StationScheme>(&key)? else {
            if contains(taken, name) {
                return Err(Refusal::SchemeInConfig(name.to_owned()).into());
            }
            return Err(Refusal::UnknownScheme(name.to_owned()).into());
        };
        if contains(taken, name) {
            // The file's scheme of that name is the one in use; retiring the stored
            // one would look as if it retired the file's.
            return Err(Refusal::SchemeInConfig(name.to_owned()).into());
        }
        if scheme.retired {
            return Err(Refusal::SchemeRetired(name.to_owned()).into());
        }
        scheme.retired = true;
        self.put_raw(&key, &to_json(&scheme, &key)?)?;
        self.record(
            None,
            EventKind::SchemeRetired,
            vec![
                Change::new("scheme", Some(name), Some(name)),
                Change::new("retired", Some("false"), Some("true")),
            ],
        );
        Ok(scheme)
    }

    fn add_device(&mut self, def: &DeviceDefinition, taken: &[String]) -> Result<()> {
        def.validate()?;
        let name = def.name();
        if contains(taken, name) {
            return Err(Refusal::DeviceExists {
                name: name.to_owned(),
                place: ("在 station.toml 中定义", "defined in station.toml"),
            }
            .into());
        }
        let key = keys::device(name);
        if self.get_raw(&key)?.is_some() {
            return Err(Refusal::DeviceExists {
                name: name.to_owned(),
                place: ("本站已添加", "added on this station"),
            }
            .into());
        }
        self.put_raw(&key, &to_json(def, &key)?)?;
        // A device added again after its removal starts enabled.
        self.remove(&keys::disabled(name))?;
        let mut changes = vec![
            Change::new("device", None::<String>, Some(name)),
            Change::new("kind", None::<String>, Some(def.kind())),
        ];
        match def {
            DeviceDefinition::Scanner(scanner) => {
                changes.push(Change::new("port", None::<String>, Some(def.address())));
                changes.push(Change::new(
                    "workstation",
                    None::<String>,
                    Some(scanner.workstation.clone()),
                ));
            }
            DeviceDefinition::Printer(_) => {
                changes.push(Change::new("connect", None::<String>, Some(def.address())));
            }
        }
        self.record(None, EventKind::DeviceAdded, changes);
        Ok(())
    }

    fn set_device_enabled(&mut self, name: &str, enabled: bool, taken: &[String]) -> Result<bool> {
        if !contains(taken, name) && self.get_raw(&keys::device(name))?.is_none() {
            return Err(Refusal::UnknownDevice(name.to_owned()).into());
        }
        let key = keys::disabled(name);
        let was_enabled = self.get_raw(&key)?.is_none();
        if was_enabled == enabled {
            return Ok(false);
        }
        if enabled {
            self.remove(&key)?;
        } else {
            self.put_raw(&key, &[])?;
        }
        let text = |on: bool| if on { "true" } else { "false" };
        self.record(
            None,
            if enabled {
                EventKind::DeviceEnabled
            } else {
                EventKind::DeviceDisabled
            },
            vec![
                Change::new("device", Some(name), Some(name)),
                Change::new("enabled", Some(text(was_enabled)), Some(text(enabled))),
            ],
        );
        Ok(true)
    }
}

impl Store {
    #[cfg(test)]
    fn json<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self
            .tree
            .get(key)
            .map_err(StoreError::storage("reading settings"))?
        {
            Some(bytes) => from_json(&bytes, key).map(Some),
            None => Ok(None),
        }
    }

    fn json_family<T: DeserializeOwned>(&self, tag: u8) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix([tag]) {
            let (key, value) = entry.map_err(StoreError::storage("reading settings"))?;
            out.push(from_json(&value, &key)?);
        }
        Ok(out)
    }

    /// The numbering schemes added through the station, retired ones included, by name.
    pub fn station_schemes(&self) -> Result<Vec<StationScheme>> {
        self.json_family(keys::SCHEME)
    }

    /// The station-managed scheme `name`, if there is one.
    #[cfg(test)]
    pub fn station_scheme(&self, name: &str) -> Result<Option<StationScheme>> {
        self.json(&keys::scheme(name))
    }

    /// Adds numbering scheme `name` with `template`. Refused when the template or name is
    /// invalid, when `taken` (the names station.toml uses) holds the name, or when the
    /// station has a scheme of that name already (retired ones keep their names, so that
    /// a number is never handed out twice).
    pub fn add_scheme(
        &self,
        actor: &Actor,
        name: &str,
        template: &str,
        taken: &[String],
    ) -> Result<StationScheme> {
        self.write(actor, |tx| tx.add_scheme(name, template, taken))
    }

    /// Retires the station-managed scheme `name`: it stays listed and its numbers stay
    /// valid, but it allocates no new ones. Refused for an unknown scheme, a scheme
    /// station.toml defines (`taken`), and one retired already.
    pub fn retire_scheme(
        &self,
        actor: &Actor,
        name: &str,
        taken: &[String],
    ) -> Result<StationScheme> {
        self.write(actor, |tx| tx.retire_scheme(name, taken))
    }

    /// The devices added through the station, by name.
    pub fn station_devices(&self) -> Result<Vec<DeviceDefinition>> {
        self.json_family(keys::DEVICE)
    }

    /// Adds a device. Refused when a field is invalid (`DeviceDefinition::validate`),
    /// when `taken` (the device names station.toml uses) holds its name, or when the
    /// station has a device of that name already. A new device is enabled.
    pub fn add_device(
        &self,
        actor: &Actor,
        def: &DeviceDefinition,
        taken: &[String],
    ) -> Result<()> {
        self.write(actor, |tx| tx.add_device(def, taken))
    }

    /// Removes the station-managed device `name` and returns its definition. Refused for
    /// a device station.toml defines (`taken`), an unknown one, and a printer that still
    /// has labels waiting in the print queue (they must be printed or cancelled first).
    pub fn remove_device(
        &self,
        actor: &Actor,
        name: &str,
        taken: &[String],
    ) -> Result<DeviceDefinition> {
        loop {
            // The print queue cannot be read inside a transaction (it is found by a
            // scan), so it is counted first, and the transaction checks that no label
            // was queued since (every new job takes the next job number); if one was,
            // it counts again.
            let jobs_before = self
                .tree
                .get(keys::JOB_ID)
                .map_err(StoreError::storage("reading the print queue"))?;
            let waiting = self.due_jobs(Some(name), Millis::MAX - 1)?.len();
            let removed = self.write(actor, |tx| {
                let key = keys::device(name);
                let Some(def) = tx.json::<DeviceDefinition>(&key)? else {
                    if contains(taken, name) {
                        return Err(Refusal::DeviceInConfig(name.to_owned()).into());
                    }
                    return Err(Refusal::UnknownDevice(name.to_owned()).into());
                };
                if contains(taken, name) {
                    return Err(Refusal::DeviceInConfig(name.to_owned()).into());
                }
                if let DeviceDefinition::Printer(_) = def {
                    if tx.get_raw(keys::JOB_ID)? != jobs_before {
                        return Ok(None);
                    }
                    if waiting > 0 {
                        return Err(Refusal::PrinterHasJobs {
                            name: name.to_owned(),
                            count: waiting,
                        }
                        .into());
                    }
                }
                tx.remove(&key)?;
                tx.remove(&keys::disabled(name))?;
                let field = match def {
                    DeviceDefinition::Scanner(_) => "port",
                    DeviceDefinition::Printer(_) => "connect",
                };
                tx.record(
                    None,
                    EventKind::DeviceRemoved,
                    vec![
                        Change::new("device", Some(name), None::<String>),
                        Change::new("kind", Some(def.kind()), None::<String>),
                        Change::new(field, Some(def.address()), None::<String>),
                    ],
                );
                Ok(Some(def))
            })?;
            if let Some(def) = removed {
                return Ok(def);
            }
        }
    }

    /// Enables or disables device `name`, of station.toml (`taken`) or of the station; a
    /// disabled device stays defined but is not run (a disabled printer's labels wait in
    /// the queue). Answers whether anything changed: setting the state it already has
    /// records nothing.
    pub fn set_device_enabled(
        &self,
        actor: &Actor,
        name: &str,
        enabled: bool,
        taken: &[String],
    ) -> Result<bool> {
        self.write(actor, |tx| tx.set_device_enabled(name, enabled, taken))
    }

    /// For `verify`: every stored scheme and device decodes, is valid, and is stored
    /// under its own name.
    pub(super) fn check_settings(&self, problems: &mut Vec<Message>) -> Result<()> {
        for entry in self.tree.scan_prefix([keys::SCHEME]) {
            let (key, value) = entry.map_err(StoreError::storage("reading settings"))?;
            let checked = from_json::<StationScheme>(&value, &key).and_then(|scheme| {
                scheme.scheme()?;
                Ok(key.get(1..) == Some(scheme.name.as_bytes()))
            });
            if !matches!(checked, Ok(true)) {
                let key = String::from_utf8_lossy(&key).into_owned();
                problems.push(message!(VerifySchemeRecordInvalid, key = key));
            }
        }
        for entry in self.tree.scan_prefix([keys::DEVICE]) {
            let (key, value) = entry.map_err(StoreError::storage("reading settings"))?;
            let checked = from_json::<DeviceDefinition>(&value, &key).and_then(|def| {
                def.validate()?;
                Ok(key.get(1..) == Some(def.name().as_bytes()))
            });
            if !matches!(checked, Ok(true)) {
                let key = String::from_utf8_lossy(&key).into_owned();
                problems.push(message!(VerifyDeviceRecordInvalid, key = key));
            }
        }
        Ok(())
    }

    /// The names of the disabled devices.
    pub fn disabled_devices(&self) -> Result<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for entry in self.tree.scan_prefix([keys::DISABLED]).keys() {
            let key = entry.map_err(StoreError::storage("reading disabled devices"))?;
            let name = key
                .get(1..)
                .and_then(|name| std::str::from_utf8(name).ok())
                .ok_or_else(|| StoreError::corrupt(&key))?;
            out.insert(name.to_owned());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Bilingual, Code};
    use crate::model::{PrintFormat, PrintState};
    use crate::numbering::SchemeError;
    use crate::store::{NewJob, StoreOptions};

    /// Whether `text` has a Chinese character (or full-width punctuation).
    fn has_cjk(text: &str) -> bool {
        text.chars().any(|c| {
            matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
        })
    }

    /// Whether `text` is bilingual: Chinese in `zh`, none in `en`.
    fn bilingual(text: &Bilingual) -> bool {
        has_cjk(&text.zh) && !has_cjk(&text.en)
    }

    fn open(dir: &std::path::Path) -> Store {
        Store::open(dir, StoreOptions::default()).expect("store")
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    use crate::store::events_since;

    fn scanner(json: serde_json::Value) -> DeviceDefinition {
        serde_json::from_value(json).expect("a scanner definition")
    }

    #[test]
    fn station_schemes_are_validated_recorded_and_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let admin = Actor::new("P0000000014");
        let taken = names(&["loan"]);
        let before = store.head().0;
        let added = store
            .add_scheme(&admin, "deposit", "{year}存字第{seq:04}号", &taken)
            .expect("added");
        assert_eq!(
            added,
            StationScheme {
                name: "deposit".into(),
                template: "{year}存字第{seq:04}号".into(),
                retired: false
            }
        );
        let events = events_since(&store, before);
        assert_eq!(events.len(), 1, "{events:?}");
        let (kind, actor, changes) = &events[0];
        assert_eq!(
            (*kind, actor.as_str()),
            (EventKind::SchemeAdded, "P0000000014")
        );
        assert!(changes.contains(&Change::new("scheme", None::<String>, Some("deposit"))));
        assert!(changes.contains(&Change::new(
            "template",
            None::<String>,
            Some("{year}存字第{seq:04}号")
        )));

        let head = store.head().0;
        let duplicate = store
            .add_scheme(&admin, "deposit", "{seq}", &taken)
            .expect_err("a name is used once");
        assert!(
            matches!(duplicate, StoreError::Refused(Refusal::SchemeExists { .. })),
            "{duplicate}"
        );
        let in_file = store
            .add_scheme(&admin, "loan", "{seq}号", &taken)
            .expect_err("station.toml's names are taken");
        assert!(
            matches!(
                &in_file,
                StoreError::Refused(Refusal::SchemeExists { name, place: (zh, en) })
                    if name == "loan" && zh.contains("station.toml") && en.contains("station.toml")
            ),
            "{in_file}"
        );
        assert_eq!(in_file.message().code, Code::SchemeExists);
        let bad_template = store
            .add_scheme(&admin, "other", "{yr}{seq}", &taken)
            .expect_err("bad template");
        assert!(
            matches!(
                &bad_template,
                StoreError::Refused(Refusal::Scheme(SchemeError::UnknownPlaceholder { placeholder, .. })) if placeholder == "yr"
            ),
            "{bad_template}"
        );
        let said = bad_template.message();
        assert_eq!(said.code, Code::SchemeUnknownPlaceholder);
        assert!(bilingual(&said.text), "bilingual: {said:?}");
        assert!(
            said.text.zh.contains("yr") && said.text.en.contains("yr"),
            "{said:?}"
        );
        let bad_name = store
            .add_scheme(&admin, "a b", "{seq}", &taken)
            .expect_err("bad name");
        assert!(matches!(
            bad_name,
            StoreError::Refused(Refusal::Scheme(SchemeError::BadName(_)))
        ));
        assert_eq!(store.head().0, head, "refusals record nothing");
        assert_eq!(
            store.station_schemes().expect("list").len(),
            1,
            "and store nothing"
        );

        drop(store);
        let store = open(dir.path());
        assert_eq!(store.station_schemes().expect("list"), vec![added]);
        assert_eq!(
            store
                .station_scheme("deposit")
                .expect("read")
                .map(|s| s.retired),
            Some(false)
        );
        assert_eq!(store.verify().expect("verify").chain_error, None);
    }

    #[test]
    fn station_devices_are_added_disabled_and_removed_and_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let admin = Actor::new("P0000000014");
        let taken = names(&["counter-scanner", "pdf"]);
        let cart = scanner(serde_json::json!({
            "kind": "scanner",
            "name": "cart-2",
            "port": "/dev/serial/by-id/usb-Honeywell-if01",
            "workstation": "cart-2",
        }));
        let zebra: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "printer",
            "name": "zebra-2",
            "language": "zpl",
            "connect": "tcp://192.168.10.21",
        }))
        .expect("printer");
        let head = store.head().0;
        store
            .add_device(&admin, &cart, &taken)
            .expect("scanner added");
        store
            .add_device(&admin, &zebra, &taken)
            .expect("printer added");
        let events = events_since(&store, head);
        assert_eq!(
            events
                .iter()
                .map(|(kind, actor, _)| (*kind, actor.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (EventKind::DeviceAdded, "P0000000014"),
                (EventKind::DeviceAdded, "P0000000014")
            ]
        );
        assert!(events[0].2.contains(&Change::new(
            "port",
            None::<String>,
            Some("/dev/serial/by-id/usb-Honeywell-if01")
        )));
        assert!(events[1].2.contains(&Change::new(
            "connect",
            None::<String>,
            Some("tcp://192.168.10.21:9100")
        )));

        let head = store.head().0;
        let refuse = |def: serde_json::Value| {
            let def: DeviceDefinition = serde_json::from_value(def).expect("decodes");
            store.add_device(&admin, &def, &taken).expect_err("refused")
        };
        let in_file = refuse(serde_json::json!({
            "kind": "printer", "name": "pdf", "language": "pdf", "connect": "dir:///tmp/x",
        }));
        assert_eq!(in_file.message().code, Code::DeviceExists);
        assert!(
            matches!(
                &in_file,
                StoreError::Refused(Refusal::DeviceExists { name, place: (zh, en) })
                    if name == "pdf" && zh.contains("station.toml") && en.contains("station.toml")
            ),
            "{in_file}"
        );
        let twice = refuse(serde_json::json!({
            "kind": "scanner", "name": "cart-2", "port": "/dev/ttyUSB9", "workstation": "counter",
        }));
        assert!(
            matches!(
                &twice,
                StoreError::Refused(Refusal::DeviceExists { name, place: (_, en) })
                    if name == "cart-2" && !en.contains("station.toml")
            ),
            "{twice}"
        );
        let mut problems = Vec::new();
        // Each definition has one fault; the data a problem names (a limit, the dpi
        // given) is in both halves, and the same fault is told the same way.
        for (def, fault, data) in [
            (
                serde_json::json!({"kind": "scanner", "name": "", "port": "/dev/ttyUSB9", "workstation": "counter"}),
                "name",
                None,
            ),
            (
                serde_json::json!({"kind": "scanner", "name": "x".repeat(65), "port": "/dev/ttyUSB9", "workstation": "counter"}),
                "name",
                Some("64"),
            ),
            (
                serde_json::json!({"kind": "scanner", "name": "s", "port": "", "workstation": "counter"}),
                "port",
                None,
            ),
            (
                serde_json::json!({"kind": "scanner", "name": "s", "port": "/dev/ttyUSB9", "baud": 0, "workstation": "counter"}),
                "baud",
                None,
            ),
            (
                serde_json::json!({"kind": "printer", "name": "p", "language": "zpl", "dpi": 250, "connect": "tcp://h"}),
                "dpi",
                Some("250"),
            ),
        ] {
            let given = def["name"].as_str().expect("a name").to_owned();
            let refused = refuse(def);
            assert_eq!(refused.message().code, Code::DeviceInvalid, "{refused}");
            let StoreError::Refused(Refusal::BadDevice { name, problem }) = refused else {
                panic!("not a bad device: {refused}");
            };
            assert_eq!(name, given);
            assert!(bilingual(&problem), "{problem:?}");
            if let Some(data) = data {
                assert!(
                    problem.zh.contains(data) && problem.en.contains(data),
                    "{problem:?}"
                );
            }
            problems.push((fault, problem));
        }
        for (fault, problem) in &problems {
            for (other_fault, other) in &problems {
                assert_eq!(
                    fault == other_fault,
                    problem == other,
                    "{problem:?} / {other:?}"
                );
            }
        }
        assert_eq!(store.head().0, head, "refusals record nothing");
        assert_eq!(store.station_devices().expect("list").len(), 2);

        let head = store.head().0;
        assert!(store
            .set_device_enabled(&admin, "counter-scanner", false, &taken)
            .expect("a config device can be disabled"));
        assert!(
            !store
                .set_device_enabled(&admin, "counter-scanner", false, &taken)
                .expect("again"),
            "no change the second time"
        );
        assert!(store
            .set_device_enabled(&admin, "cart-2", false, &taken)
            .expect("a station device too"));
        let ghost = store
            .set_device_enabled(&admin, "ghost", false, &taken)
            .expect_err("unknown device");
        assert!(
            matches!(ghost, StoreError::Refused(Refusal::UnknownDevice(ref name)) if name == "ghost")
        );
        let events = events_since(&store, head);
        assert_eq!(
            events.iter().map(|(kind, _, _)| *kind).collect::<Vec<_>>(),
            vec![EventKind::DeviceDisabled, EventKind::DeviceDisabled]
        );
        assert!(events[0]
            .2
            .contains(&Change::new("enabled", Some("true"), Some("false"))));

        drop(store);
        let store = open(dir.path());
        assert_eq!(
            store.station_devices().expect("list"),
            vec![cart.clone(), zebra.clone()]
        );
        assert_eq!(
            store.disabled_devices().expect("disabled"),
            ["cart-2", "counter-scanner"]
                .map(String::from)
                .into_iter()
                .collect()
        );
        assert!(store
            .set_device_enabled(&admin, "counter-scanner", true, &taken)
            .expect("enabled again"));
        assert_eq!(
            events_since(&store, store.head().0 - 1)[0].0,
            EventKind::DeviceEnabled
        );

        let head = store.head().0;
        let config_device = store
            .remove_device(&admin, "pdf", &taken)
            .expect_err("station.toml's");
        assert!(
            matches!(&config_device, StoreError::Refused(Refusal::DeviceInConfig(name)) if name == "pdf"),
            "{config_device}"
        );
        assert_eq!(config_device.message().code, Code::DeviceInConfig);
        assert!(matches!(
            store.remove_device(&admin, "ghost", &taken),
            Err(StoreError::Refused(Refusal::UnknownDevice(_)))
        ));
        assert_eq!(store.head().0, head);
        assert_eq!(
            store
                .remove_device(&admin, "cart-2", &taken)
                .expect("removed"),
            cart
        );
        let (kind, actor, changes) = events_since(&store, head).remove(0);
        assert_eq!(
            (kind, actor.as_str()),
            (EventKind::DeviceRemoved, "P0000000014")
        );
        assert!(changes.contains(&Change::new("device", Some("cart-2"), None::<String>)));
        assert!(
            store.disabled_devices().expect("disabled").is_empty(),
            "its mark goes with it"
        );
        drop(store);
        let store = open(dir.path());
        assert_eq!(store.station_devices().expect("list"), vec![zebra]);
        assert!(store.verify().expect("verify").is_ok());
    }

    #[test]
    fn verify_checks_the_stored_settings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let admin = Actor::new("admin");
        store
            .add_scheme(&admin, "deposit", "存{seq}号", &[])
            .expect("added");
        let def = scanner(serde_json::json!({
            "kind": "scanner", "name": "cart-2", "port": "/dev/ttyUSB2", "workstation": "counter",
        }));
        store.add_device(&admin, &def, &[]).expect("added");
        assert!(store.verify().expect("verify").is_ok());
        // Behind the store's back: a device stored under another name, a broken scheme.
        store
            .tree
            .insert(
                keys::device("cart-9"),
                serde_json::to_vec(&def).expect("json"),
            )
            .expect("write");
        store
            .tree
            .insert(keys::scheme("deposit"), &b"{\"name\":\"deposit\"}"[..])
            .expect("write");
        let report = store.verify().expect("verify");
        let found: Vec<(Code, &str)> = report
            .problems
            .iter()
            .map(|problem| (problem.code, problem.text.en.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    Code::VerifySchemeRecordInvalid,
                    "scheme record kdeposit is invalid or does not match its key"
                ),
                (
                    Code::VerifyDeviceRecordInvalid,
                    "device record vcart-9 is invalid or does not match its key"
                ),
            ]
        );
        assert!(
            report
                .problems
                .iter()
                .all(|problem| bilingual(&problem.text)),
            "{:?}",
            report.problems
        );
    }

    #[test]
    fn a_printer_with_waiting_labels_is_not_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(dir.path());
        let admin = Actor::new("admin");
        let printer: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "printer", "name": "shelf-zebra", "language": "zpl", "connect": "tcp://10.0.0.9",
        }))
        .expect("printer");
        store.add_device(&admin, &printer, &[]).expect("added");
        let job = |n: u8| NewJob {
            printer: "shelf-zebra".into(),
            subject: format!("B00000000{n}"),
            format: PrintFormat::Zpl,
            payload: b"^XA^XZ".to_vec(),
            reprint: None,
        };
        let first = store.queue_print(&admin, &job(1)).expect("queued");
        let second = store.queue_print(&admin, &job(2)).expect("queued");
        let head = store.head().0;
        let refused = store
            .remove_device(&admin, "shelf-zebra", &[])
            .expect_err("labels wait");
        assert!(
            matches!(refused, StoreError::Refused(Refusal::PrinterHasJobs { ref name, count: 2 }) if name == "shelf-zebra"),
            "{refused}"
        );
        let said = refused.message();
        assert_eq!(said.code, Code::DevicePrinterHasJobs);
        assert!(bilingual(&said.text), "{said:?}");
        assert!(
            said.text.zh.contains("2") && said.text.en.contains("2"),
            "the count in both halves: {said:?}"
        );
        assert!(
            said.text.zh.contains("shelf-zebra") && said.text.en.contains("shelf-zebra"),
            "{said:?}"
        );
        assert_eq!(store.head().0, head, "nothing recorded");
        assert_eq!(
            store.station_devices().expect("list"),
            vec![printer.clone()]
        );

        store.job_printed(&admin, first.id).expect("printed");
        assert!(matches!(
            store.remove_device(&admin, "shelf-zebra", &[]),
            Err(StoreError::Refused(Refusal::PrinterHasJobs {
                count: 1,
                ..
            }))
        ));
        store
            .write(&admin, |tx| tx.cancel_job(second.id, "printer replaced"))
            .expect("cancelled");
        assert!(matches!(
            store.job(second.id).expect("read").map(|job| job.state),
            Some(PrintState::Cancelled { .. })
        ));
        store
            .remove_device(&admin, "shelf-zebra", &[])
            .expect("nothing waits now");
        assert!(store.station_devices().expect("list").is_empty());
    }
}
