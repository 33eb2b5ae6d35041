//! Line framing codec: a table of bytes → expected scans and skipped ranges,
//! every case fed whole, split at every byte boundary, and one byte at a time.

use firmware_bridge::line::{AimIds, Decoded, LineConfig, LineDecoder, Terminator};
use firmware_bridge::{AimId, Scan, SkipReason, Skipped, Symbology, SymbologyId};

struct Case {
    name: &'static str,
    config: LineConfig,
    input: Vec<u8>,
    /// Everything the `decode` calls return, merged.
    decoded: Decoded,
    /// What `finish` returns afterwards.
    finished: Decoded,
}

fn config(terminator: Terminator) -> LineConfig {
    LineConfig {
        terminator,
        ..LineConfig::default()
    }
}

fn with_prefix(prefix: &[u8]) -> LineConfig {
    LineConfig {
        prefix: prefix.to_vec(),
        ..LineConfig::default()
    }
}

fn with_max_len(terminator: Terminator, max_len: usize) -> LineConfig {
    LineConfig {
        terminator,
        max_len,
        ..LineConfig::default()
    }
}

fn with_aim_ids(aim_ids: AimIds) -> LineConfig {
    LineConfig {
        aim_ids,
        ..LineConfig::default()
    }
}

fn plain(data: &[u8]) -> Scan {
    Scan {
        symbology: Symbology::Unknown,
        id: None,
        data: data.to_vec(),
    }
}

fn aim(id: &[u8; 3], symbology: Symbology, data: &[u8]) -> Scan {
    let aim_id = AimId::new(id[1], id[2]).expect("test identifiers are well-formed");
    assert_eq!(id[0], b']');
    Scan {
        symbology,
        id: Some(SymbologyId::Aim(aim_id)),
        data: data.to_vec(),
    }
}

fn skip(offset: u64, len: usize, reason: SkipReason) -> Skipped {
    Skipped {
        offset,
        len,
        reason,
    }
}

fn noise(offset: u64, len: usize, first: u8) -> Skipped {
    skip(offset, len, SkipReason::ControlBytes { first })
}

fn out(scans: Vec<Scan>, skipped: Vec<Skipped>) -> Decoded {
    Decoded { scans, skipped }
}

fn nothing() -> Decoded {
    Decoded::default()
}

fn case(name: &'static str, config: LineConfig, input: &[u8], decoded: Decoded) -> Case {
    Case {
        name,
        config,
        input: input.to_vec(),
        decoded,
        finished: nothing(),
    }
}

fn cases() -> Vec<Case> {
    let cr = LineConfig::default;
    let qr_text = "]Q12012鸿借字第001号\r".as_bytes();
    let qr_data = "2012鸿借字第001号".as_bytes();
    vec![
        // Symbology identifiers.
        case(
            "plain line",
            cr(),
            b"BOX-000123\r",
            out(vec![plain(b"BOX-000123")], vec![]),
        ),
        case(
            "Code 128",
            cr(),
            b"]C0BOX-000123\r",
            out(vec![aim(b"]C0", Symbology::Code128, b"BOX-000123")], vec![]),
        ),
        case(
            "GS1-128 keeps its GS separators",
            cr(),
            b"]C10109501101530003\x1d10ABC123\r",
            out(
                vec![aim(
                    b"]C1",
                    Symbology::Gs1_128,
                    b"0109501101530003\x1d10ABC123",
                )],
                vec![],
            ),
        ),
        case(
            "QR code with UTF-8 text",
            cr(),
            qr_text,
            out(vec![aim(b"]Q1", Symbology::QrCode, qr_data)], vec![]),
        ),
        case(
            "EAN-13",
            cr(),
            b"]E04006381333931\r",
            out(
                vec![aim(b"]E0", Symbology::Ean13, b"4006381333931")],
                vec![],
            ),
        ),
        case(
            "EAN-8",
            cr(),
            b"]E496385074\r",
            out(vec![aim(b"]E4", Symbology::Ean8, b"96385074")], vec![]),
        ),
        case(
            "Code 39",
            cr(),
            b"]A0ABC-123\r",
            out(vec![aim(b"]A0", Symbology::Code39, b"ABC-123")], vec![]),
        ),
        case(
            "ITF",
            cr(),
            b"]I012345678\r",
            out(
                vec![aim(b"]I0", Symbology::Interleaved2Of5, b"12345678")],
                vec![],
            ),
        ),
        case(
            "Data Matrix",
            cr(),
            b"]d1BOX-1\r",
            out(vec![aim(b"]d1", Symbology::DataMatrix, b"BOX-1")], vec![]),
        ),
        case(
            "GS1 Data Matrix",
            cr(),
            b"]d201095011015300031725010\r",
            out(
                vec![aim(
                    b"]d2",
                    Symbology::Gs1DataMatrix,
                    b"01095011015300031725010",
                )],
                vec![],
            ),
        ),
        case(
            "unnamed identifier is kept on the scan",
            cr(),
            b"]X0abc\r",
            out(vec![aim(b"]X0", Symbology::Unknown, b"abc")], vec![]),
        ),
        case(
            "malformed identifier is data",
            cr(),
            b"]!0ABC\r",
            out(vec![plain(b"]!0ABC")], vec![]),
        ),
        case(
            "identifier without data",
            cr(),
            b"]C0\r",
            out(vec![], vec![skip(0, 3, SkipReason::NoData)]),
        ),
        // Terminators.
        case(
            "several lines, LF",
            config(Terminator::Lf),
            b"]C0A1\n]Q1B2\nC3\n",
            out(
                vec![
                    aim(b"]C0", Symbology::Code128, b"A1"),
                    aim(b"]Q1", Symbology::QrCode, b"B2"),
                    plain(b"C3"),
                ],
                vec![],
            ),
        ),
        case(
            "several lines, CRLF",
            config(Terminator::CrLf),
            b"]C0A1\r\n]C0B2\r\n",
            out(
                vec![
                    aim(b"]C0", Symbology::Code128, b"A1"),
                    aim(b"]C0", Symbology::Code128, b"B2"),
                ],
                vec![],
            ),
        ),
        case(
            "several lines, Tab",
            config(Terminator::Tab),
            b"BOX-1\tBOX-2\t",
            out(vec![plain(b"BOX-1"), plain(b"BOX-2")], vec![]),
        ),
        case(
            "CRLF: a CR without LF is noise",
            config(Terminator::CrLf),
            b"AB\rC\r\n",
            out(vec![plain(b"ABC")], vec![noise(2, 1, b'\r')]),
        ),
        case(
            "CRLF: CR CR LF ends the line once",
            config(Terminator::CrLf),
            b"AB\r\r\n",
            out(vec![plain(b"AB")], vec![noise(2, 1, b'\r')]),
        ),
        case(
            "CR: the LF of a CRLF scanner is reported as noise",
            cr(),
            b"A1\r\nB2\r\n",
            out(vec![plain(b"A1"), plain(b"B2")], vec![noise(3, 1, b'\n')]),
        )
        .then_finish(out(vec![], vec![skip(7, 1, SkipReason::Incomplete)])),
        case(
            "LF: a CR before the terminator is noise",
            config(Terminator::Lf),
            b"A1\r\n",
            out(vec![plain(b"A1")], vec![noise(2, 1, b'\r')]),
        ),
        // Line noise.
        case(
            "noise burst between lines",
            cr(),
            b"A1\r\x00\x00\x11\x13\rB2\r",
            out(vec![plain(b"A1"), plain(b"B2")], vec![noise(3, 4, 0x00)]),
        ),
        case(
            "noise inside a line is removed and reported",
            cr(),
            b"\x00]C0AB\x7fC\x18\r",
            out(
                vec![aim(b"]C0", Symbology::Code128, b"ABC")],
                vec![noise(0, 1, 0x00), noise(6, 1, 0x7F), noise(8, 1, 0x18)],
            ),
        ),
        case(
            "ISO 15434 envelope controls are data",
            cr(),
            b"[)>\x1e06\x1dP123\x1e\x04\r",
            out(vec![plain(b"[)>\x1e06\x1dP123\x1e\x04")], vec![]),
        ),
        case(
            "bytes above 0x7F are data",
            cr(),
            b"\xff\xfeAB\r",
            out(vec![plain(b"\xff\xfeAB")], vec![]),
        ),
        case(
            "blank lines",
            cr(),
            b"\r\rA\r",
            out(
                vec![plain(b"A")],
                vec![
                    skip(0, 0, SkipReason::NoData),
                    skip(1, 0, SkipReason::NoData),
                ],
            ),
        ),
        case(
            "blank lines, CRLF",
            config(Terminator::CrLf),
            b"\r\n\r\nA\r\n",
            out(
                vec![plain(b"A")],
                vec![
                    skip(0, 0, SkipReason::NoData),
                    skip(2, 0, SkipReason::NoData),
                ],
            ),
        ),
        // Maximum length.
        case(
            "over-long line is skipped whole, the next one decoded",
            with_max_len(Terminator::Cr, 8),
            b"123456789\rOK\r",
            out(
                vec![plain(b"OK")],
                vec![skip(0, 9, SkipReason::TooLong { max_len: 8 })],
            ),
        ),
        case(
            "line of exactly the maximum length",
            with_max_len(Terminator::Cr, 8),
            b"12345678\r",
            out(vec![plain(b"12345678")], vec![]),
        ),
        case(
            "CRLF: the terminator's CR does not count toward the maximum",
            with_max_len(Terminator::CrLf, 8),
            b"12345678\r\n",
            out(vec![plain(b"12345678")], vec![]),
        ),
        case(
            "CRLF: a stray CR does count toward the maximum",
            with_max_len(Terminator::CrLf, 8),
            b"1234567\r8\r\nOK\r\n",
            out(
                vec![plain(b"OK")],
                vec![skip(0, 9, SkipReason::TooLong { max_len: 8 })],
            ),
        ),
        case(
            "over-long noise is one report, not one per byte",
            with_max_len(Terminator::Cr, 4),
            b"\x00\x00\x00\x00\x00\x00\rOK\r",
            out(
                vec![plain(b"OK")],
                vec![skip(0, 6, SkipReason::TooLong { max_len: 4 })],
            ),
        ),
        case(
            "over-long line still open at the end",
            with_max_len(Terminator::Cr, 4),
            b"OK\r123456",
            out(vec![plain(b"OK")], vec![]),
        )
        .then_finish(out(
            vec![],
            vec![skip(3, 6, SkipReason::TooLong { max_len: 4 })],
        )),
        // End of input.
        case(
            "unterminated line at the end",
            cr(),
            b"A1\rB2",
            out(vec![plain(b"A1")], vec![]),
        )
        .then_finish(out(vec![], vec![skip(3, 2, SkipReason::Incomplete)])),
        case(
            "CRLF: a lone CR at the end",
            config(Terminator::CrLf),
            b"A1\r",
            nothing(),
        )
        .then_finish(out(vec![], vec![skip(0, 3, SkipReason::Incomplete)])),
        // Prefix.
        case(
            "prefix and identifier",
            with_prefix(b"#"),
            b"#]C0BOX-1\r",
            out(vec![aim(b"]C0", Symbology::Code128, b"BOX-1")], vec![]),
        ),
        case(
            "bytes before the prefix are skipped",
            with_prefix(b"#"),
            b"xy#BOX-1\r",
            out(
                vec![plain(b"BOX-1")],
                vec![skip(0, 2, SkipReason::BeforePrefix)],
            ),
        ),
        case(
            "line without the prefix is skipped",
            with_prefix(b"#"),
            b"BOX-1\r#BOX-2\r",
            out(
                vec![plain(b"BOX-2")],
                vec![skip(0, 5, SkipReason::MissingPrefix)],
            ),
        ),
        case(
            "line of noise without the prefix is noise",
            with_prefix(b"#"),
            b"\x00\x13\r#A\r",
            out(vec![plain(b"A")], vec![noise(0, 2, 0x00)]),
        ),
        case(
            "multi-byte prefix",
            with_prefix(b"SCN:"),
            b"SCN:A1\rSC:B2\rSCN:]Q1C3\r",
            out(
                vec![plain(b"A1"), aim(b"]Q1", Symbology::QrCode, b"C3")],
                vec![skip(7, 5, SkipReason::MissingPrefix)],
            ),
        ),
        case(
            "control character as prefix (STX)",
            with_prefix(b"\x02"),
            b"\x02]C0BOX-1\r\x00\x02BOX-2\r",
            out(
                vec![aim(b"]C0", Symbology::Code128, b"BOX-1"), plain(b"BOX-2")],
                vec![skip(10, 1, SkipReason::BeforePrefix)],
            ),
        ),
        case(
            "prefix without data",
            with_prefix(b"#"),
            b"#\r",
            out(vec![], vec![skip(0, 1, SkipReason::NoData)]),
        ),
        // Identifier policy.
        case(
            "identifiers off: data that looks like one is kept",
            with_aim_ids(AimIds::Off),
            b"]C0ABC\r",
            out(vec![plain(b"]C0ABC")], vec![]),
        ),
        case(
            "identifiers required: a line without one is skipped",
            with_aim_ids(AimIds::Require),
            b"]C0ABC\rABC\r",
            out(
                vec![aim(b"]C0", Symbology::Code128, b"ABC")],
                vec![skip(7, 3, SkipReason::MissingAim)],
            ),
        ),
    ]
}

impl Case {
    fn then_finish(mut self, finished: Decoded) -> Case {
        self.finished = finished;
        self
    }
}

/// Feeds `chunks` in order, then finishes; returns what the `decode` calls
/// and the `finish` call returned.
fn feed(config: &LineConfig, chunks: &[&[u8]]) -> (Decoded, Decoded) {
    let mut decoder = LineDecoder::new(config.clone());
    let mut decoded = Decoded::default();
    for chunk in chunks {
        decoded.append(decoder.decode(chunk));
    }
    let total: usize = chunks.iter().map(|chunk| chunk.len()).sum();
    assert_eq!(decoder.offset(), total as u64);
    (decoded, decoder.finish())
}

#[test]
fn table_fed_whole() {
    for case in cases() {
        let (decoded, finished) = feed(&case.config, &[&case.input]);
        assert_eq!(decoded, case.decoded, "{}", case.name);
        assert_eq!(finished, case.finished, "{}: finish", case.name);
    }
}

#[test]
fn table_split_at_every_byte_boundary() {
    for case in cases() {
        for at in 0..=case.input.len() {
            let (head, tail) = case.input.split_at(at);
            let (decoded, finished) = feed(&case.config, &[head, tail]);
            assert_eq!(decoded, case.decoded, "{}: split at {at}", case.name);
            assert_eq!(
                finished, case.finished,
                "{}: split at {at}, finish",
                case.name
            );
        }
    }
}

#[test]
fn table_one_byte_at_a_time() {
    for case in cases() {
        let bytes: Vec<&[u8]> = case.input.chunks(1).collect();
        let (decoded, finished) = feed(&case.config, &bytes);
        assert_eq!(decoded, case.decoded, "{}: byte by byte", case.name);
        assert_eq!(
            finished, case.finished,
            "{}: byte by byte, finish",
            case.name
        );
    }
}

#[test]
fn scan_is_returned_by_the_call_that_delivers_its_terminator() {
    let mut decoder = LineDecoder::new(LineConfig::default());
    assert!(decoder.decode(b"]C0BOX-0001").is_empty());
    assert!(decoder.decode(b"23").is_empty());
    let out = decoder.decode(b"\r]C0BOX");
    assert_eq!(out.scans, [aim(b"]C0", Symbology::Code128, b"BOX-000123")]);
    assert!(out.skipped.is_empty());
}

#[test]
fn decoder_is_usable_after_finish_and_keeps_counting_offsets() {
    let mut decoder = LineDecoder::new(LineConfig::default());
    assert!(decoder.decode(b"partial").is_empty());
    let finished = decoder.finish();
    assert_eq!(finished.skipped, [skip(0, 7, SkipReason::Incomplete)]);
    let out = decoder.decode(b"\x00A1\r");
    assert_eq!(out.scans, [plain(b"A1")]);
    assert_eq!(out.skipped, [noise(7, 1, 0x00)]);
    assert_eq!(decoder.offset(), 11);
    assert!(decoder.finish().is_empty());
}

#[test]
fn max_len_zero_skips_every_line() {
    let mut decoder = LineDecoder::new(with_max_len(Terminator::Cr, 0));
    let out = decoder.decode(b"A\r\r");
    assert!(out.scans.is_empty());
    assert_eq!(
        out.skipped,
        [
            skip(0, 1, SkipReason::TooLong { max_len: 0 }),
            skip(2, 0, SkipReason::NoData)
        ]
    );
}

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn random_chunks<'a>(rng: &mut Rng, input: &'a [u8]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(1 + rng.below(rest.len().min(64)));
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

fn all_configs() -> Vec<LineConfig> {
    let mut configs = Vec::new();
    for terminator in [
        Terminator::Cr,
        Terminator::Lf,
        Terminator::CrLf,
        Terminator::Tab,
    ] {
        for prefix in [&b""[..], b"#", b"\x02", b"AB"] {
            for aim_ids in [AimIds::Detect, AimIds::Require, AimIds::Off] {
                configs.push(LineConfig {
                    terminator,
                    prefix: prefix.to_vec(),
                    aim_ids,
                    max_len: 64,
                    ..LineConfig::default()
                });
            }
        }
    }
    configs
}

/// Skipped ranges come in stream order, never overlap, and stay inside the
/// input; no scan is longer than the maximum.
fn assert_well_formed(decoded: &Decoded, input_len: usize, max_len: usize) {
    let mut end = 0u64;
    for skipped in &decoded.skipped {
        assert!(skipped.offset >= end, "{skipped} overlaps the range before");
        end = skipped.offset + skipped.len as u64;
        assert!(end <= input_len as u64, "{skipped} past the end");
    }
    for scan in &decoded.scans {
        assert!(!scan.data.is_empty());
        assert!(scan.data.len() <= max_len);
    }
}

#[test]
fn random_noise_never_panics_and_chunking_does_not_matter() {
    let mut rng = Rng(0x5EED_0FA5_C11E);
    for config in all_configs() {
        for _ in 0..20 {
            let len = rng.below(400);
            let input = rng.bytes(len);
            let chunks = random_chunks(&mut rng, &input);
            let whole = feed(&config, &[&input]);
            assert_eq!(feed(&config, &chunks), whole, "{config:?} {input:?}");
            let mut all = whole.0;
            all.append(whole.1);
            assert_well_formed(&all, input.len(), config.max_len);
        }
    }
}

#[test]
fn scans_after_a_garbage_burst_are_decoded() {
    let mut rng = Rng(0xB0B5_CAFE);
    let config = LineConfig {
        max_len: 256,
        ..LineConfig::default()
    };
    for _ in 0..50 {
        let mut input = {
            let len = rng.below(3000);
            rng.bytes(len)
        };
        input.push(b'\r'); // whatever the burst was, this ends its last line
        let burst_len = input.len() as u64;
        input.extend_from_slice(b"]C0BOX-000001\r\x00\x00]Q1BOX-000002\r");
        let chunks = random_chunks(&mut rng, &input);
        let (decoded, finished) = feed(&config, &chunks);
        assert!(finished.is_empty());
        assert_well_formed(&decoded, input.len(), config.max_len);
        let tail = decoded.scans.get(decoded.scans.len().saturating_sub(2)..);
        assert_eq!(
            tail,
            Some(
                &[
                    aim(b"]C0", Symbology::Code128, b"BOX-000001"),
                    aim(b"]Q1", Symbology::QrCode, b"BOX-000002"),
                ][..]
            )
        );
        assert_eq!(
            decoded.skipped.last(),
            Some(&noise(burst_len + 14, 2, 0x00))
        );
    }
}
