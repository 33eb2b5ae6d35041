//! The shapes that define a device, and their checks: a `[[scanner]]` or `[[printer]]`
//! table of station.toml, or the same fields added through the station.
//!
//! A leaf: it knows the configuration shapes and nothing of the store, the configuration
//! file or the running devices, which all import from here. The `[[printer]]` shape is
//! the printer transport's own [`PrinterConfig`] (a `Printer` is built from it), so this
//! module imports it, and the printer's address ([`Connect`]), from `printer/`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::message;
use crate::message::Message;
use crate::printer::{Connect, PrinterConfig};

/// Where a device is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// station.toml: read-only through the station.
    Config,
    /// Added by an administrator; kept in the store.
    Station,
}

impl Origin {
    /// `config` or `station`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Config => "config",
            Origin::Station => "station",
        }
    }
}

/// The longest device name accepted, in characters.
pub(crate) const MAX_DEVICE_NAME_CHARS: usize = 64;

/// The resolutions a printer may be configured with, in dots per inch.
pub(crate) const PRINTER_DPIS: [u32; 4] = [152, 203, 300, 600];

/// The longest fixed scan prefix accepted, in characters.
pub(crate) const MAX_SCAN_PREFIX_CHARS: usize = 32;

/// How a scanner frames its data.
#[derive(
    Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ScannerProtocol {
    /// One scan per line.
    #[default]
    Line,
    /// Zebra SSI packets.
    Ssi,
}

/// What ends a scan in line mode.
#[derive(
    Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Suffix {
    /// Carriage return.
    #[default]
    Cr,
    /// Line feed.
    Lf,
    /// CR LF.
    Crlf,
    /// Tab.
    Tab,
}

/// Serial parity.
#[derive(
    Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ParitySetting {
    /// No parity bit.
    #[default]
    None,
    /// Even parity.
    Even,
    /// Odd parity.
    Odd,
}

/// A barcode scanner on a serial port.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScannerConfig {
    /// Its name, for status and logs.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The port, preferably a stable `/dev/serial/by-id/...` path.
    pub port: PathBuf,
    /// Line speed.
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Parity.
    #[serde(default)]
    pub parity: ParitySetting,
    /// Line or SSI.
    #[serde(default)]
    pub protocol: ScannerProtocol,
    /// Line terminator (line protocol).
    #[serde(default)]
    pub suffix: Suffix,
    /// A fixed prefix the scanner puts before each scan (line protocol).
    #[serde(default)]
    pub prefix: String,
    /// The workstation its scans belong to.
    pub workstation: String,
}

fn default_baud() -> u32 {
    9600
}

/// A device defined through the station: a scanner or a printer, with the same fields
/// as its `[[scanner]]` or `[[printer]]` table in station.toml.
///
/// In JSON it is the table's fields plus `"kind": "scanner"` or `"kind": "printer"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DeviceDefinition {
    /// A barcode scanner on a serial port.
    Scanner(ScannerConfig),
    /// A label printer.
    Printer(PrinterConfig),
}

/// A definition with a bad field: the device's name as given and what is wrong. The
/// store answers it as `StoreError::BadDevice`, which words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidDevice {
    /// The device's name as given.
    pub(crate) name: String,
    /// What is wrong.
    pub(crate) problem: Message,
}

impl DeviceDefinition {
    /// The device's name.
    pub fn name(&self) -> &str {
        match self {
            DeviceDefinition::Scanner(scanner) => &scanner.name,
            DeviceDefinition::Printer(printer) => &printer.name,
        }
    }

    /// `scanner` or `printer`.
    pub fn kind(&self) -> &'static str {
        match self {
            DeviceDefinition::Scanner(_) => "scanner",
            DeviceDefinition::Printer(_) => "printer",
        }
    }

    /// Checks the fields: a name of 1 to 64 characters without control characters or
    /// surrounding spaces; a scanner's port path (UTF-8, not empty), baud above zero, a
    /// workstation name and a short prefix; a printer's resolution (152, 203, 300 or 600
    /// dpi) and a connect address that reads back as itself. Whether a scanner's
    /// workstation exists is for the caller, who knows the configuration.
    pub(crate) fn validate(&self) -> Result<(), InvalidDevice> {
        let name = self.name();
        let bad = |problem: Message| InvalidDevice {
            name: name.to_owned(),
            problem,
        };
        let chars = name.chars().count();
        if chars == 0
            || chars > MAX_DEVICE_NAME_CHARS
            || name.trim() != name
            || name.chars().any(char::is_control)
        {
            return Err(bad(message!(
                DeviceNameInvalid,
                max = MAX_DEVICE_NAME_CHARS
            )));
        }
        match self {
            DeviceDefinition::Scanner(scanner) => {
                match scanner.port.to_str() {
                    Some(port) if !port.trim().is_empty() && !port.contains('\0') => {}
                    _ => return Err(bad(message!(DevicePortInvalid))),
                }
                if scanner.baud == 0 {
                    return Err(bad(message!(DeviceBaudZero)));
                }
                if scanner.workstation.trim().is_empty() {
                    return Err(bad(message!(DeviceNoWorkstation)));
                }
                if scanner.prefix.chars().count() > MAX_SCAN_PREFIX_CHARS
                    || scanner.prefix.chars().any(char::is_control)
                {
                    return Err(bad(message!(
                        DevicePrefixInvalid,
                        max = MAX_SCAN_PREFIX_CHARS
                    )));
                }
            }
            DeviceDefinition::Printer(printer) => {
                if !PRINTER_DPIS.contains(&printer.dpi) {
                    return Err(bad(message!(DeviceDpiUnsupported, dpi = printer.dpi)));
                }
                let text = printer.connect.to_string();
                match Connect::parse(&text) {
                    Ok(parsed) if parsed == printer.connect => {}
                    Ok(_) => {
                        return Err(bad(message!(
                            DeviceConnectInvalid,
                            address = format!("{text:?}"),
                            problem = (
                                "与所给设置不一致",
                                "it does not read back as the settings given"
                            )
                        )))
                    }
                    Err(error) => {
                        return Err(bad(message!(
                            DeviceConnectInvalid,
                            address = format!("{text:?}"),
                            problem = error.message()
                        )))
                    }
                }
            }
        }
        Ok(())
    }

    /// The port (scanner) or connect address (printer), for events and status.
    pub fn address(&self) -> String {
        match self {
            DeviceDefinition::Scanner(scanner) => scanner.port.display().to_string(),
            DeviceDefinition::Printer(printer) => printer.connect.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner(json: serde_json::Value) -> DeviceDefinition {
        serde_json::from_value(json).expect("a scanner definition")
    }

    #[test]
    fn device_definitions_round_trip_through_json() {
        let minimal = scanner(serde_json::json!({
            "kind": "scanner",
            "name": "cart-2",
            "port": "/dev/serial/by-id/usb-Honeywell-if01",
            "workstation": "counter",
        }));
        let DeviceDefinition::Scanner(config) = &minimal else {
            panic!("a scanner: {minimal:?}");
        };
        assert_eq!(
            (config.baud, config.protocol, config.suffix),
            (9600, ScannerProtocol::Line, Suffix::Cr),
            "station.toml's defaults apply"
        );
        let full = scanner(serde_json::json!({
            "kind": "scanner",
            "name": "扫描枪-3",
            "port": "/dev/ttyUSB3",
            "baud": 115200,
            "parity": "even",
            "protocol": "ssi",
            "suffix": "crlf",
            "prefix": "]C1",
            "workstation": "cart-1",
        }));
        let printer: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "printer",
            "name": "zebra-2",
            "language": "zpl",
            "connect": "tcp://192.168.10.21",
        }))
        .expect("a printer definition");
        let DeviceDefinition::Printer(printer_config) = &printer else {
            panic!("a printer: {printer:?}");
        };
        assert_eq!(printer_config.dpi, 203);
        let serial_printer: DeviceDefinition = serde_json::from_value(serde_json::json!({
            "kind": "printer",
            "name": "office",
            "language": "pdf",
            "dpi": 300,
            "connect": "serial:///dev/ttyS1?baud=19200",
        }))
        .expect("a printer definition");
        for def in [&minimal, &full, &printer, &serial_printer] {
            let json = serde_json::to_string(def).expect("encodes");
            let back: DeviceDefinition = serde_json::from_str(&json).expect("decodes");
            assert_eq!(&back, def, "{json}");
        }
        let json = serde_json::to_value(&printer).expect("encodes");
        assert_eq!(json["kind"], "printer");
        assert_eq!(
            json["connect"], "tcp://192.168.10.21:9100",
            "the address as text"
        );
        assert!(
            serde_json::from_value::<DeviceDefinition>(serde_json::json!({
                "kind": "scanner",
                "name": "x",
                "port": "/dev/ttyUSB0",
                "workstation": "counter",
                "bogus": 1,
            }))
            .is_err(),
            "unknown fields are refused as in station.toml"
        );
    }
}
