//! Zebra SSI codec: the command vectors from the programmer's guide, the pure
//! packet decoder, and a table of byte streams → expected scans, messages,
//! ACKs and skipped ranges, every case fed whole, split at every byte
//! boundary, and one byte at a time.
//!
//! Packets in these tests are built by `packet` below, which computes the
//! checksum on its own (32-bit sum, then 0x10000 minus its low 16 bits)
//! rather than through the crate, so a wrong checksum in the crate cannot
//! hide behind the same wrong checksum in the test.

use firmware_bridge::ssi::{
    self, Command, DecodeError, Decoded, Leds, Message, NakCause, Packet, Source, SsiDecoder,
    Status,
};
use firmware_bridge::{Scan, SkipReason, Skipped, Symbology, SymbologyId};

const DECODE_DATA: u8 = 0xF3;
const CODE_128: u8 = 0x03;
const QR_CODE: u8 = 0x1C;
const RETRANSMIT: u8 = 0x01;
const CONTINUATION: u8 = 0x02;

/// An SSI packet with its checksum, computed independently of the crate.
fn packet(opcode: u8, source: u8, status: u8, data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![(4 + data.len()) as u8, opcode, source, status];
    bytes.extend_from_slice(data);
    let sum: u32 = bytes.iter().map(|&byte| u32::from(byte)).sum();
    let checksum = (0x1_0000 - (sum & 0xFFFF)) & 0xFFFF;
    bytes.push((checksum >> 8) as u8);
    bytes.push((checksum & 0xFF) as u8);
    bytes
}

/// A DECODE_DATA packet from the decoder.
fn decode_data(status: u8, code_type: u8, data: &[u8]) -> Vec<u8> {
    let mut body = vec![code_type];
    body.extend_from_slice(data);
    packet(DECODE_DATA, 0x00, status, &body)
}

/// The same packet with its last checksum byte flipped.
fn corrupt(mut bytes: Vec<u8>) -> Vec<u8> {
    if let Some(last) = bytes.last_mut() {
        *last ^= 0x01;
    }
    bytes
}

fn checksum_error(bytes: &[u8]) -> DecodeError {
    let at = bytes.len() - 2;
    let sum: u32 = bytes[..at].iter().map(|&byte| u32::from(byte)).sum();
    DecodeError::Checksum {
        at,
        expected: ((0x1_0000 - (sum & 0xFFFF)) & 0xFFFF) as u16,
        found: u16::from_be_bytes([bytes[at], bytes[at + 1]]),
    }
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn scan(code_type: u8, symbology: Symbology, data: &[u8]) -> Scan {
    Scan {
        symbology,
        id: Some(SymbologyId::Ssi(code_type)),
        data: data.to_vec(),
    }
}

fn skip(offset: usize, len: usize, reason: SkipReason) -> Skipped {
    Skipped {
        offset: offset as u64,
        len,
        reason,
    }
}

fn acks(n: usize) -> Vec<Command> {
    vec![Command::Ack; n]
}

// ---------------------------------------------------------------------------
// Commands: the vectors every implementation must produce byte for byte.

#[test]
fn command_vectors() {
    let table: &[(Command, &[u8])] = &[
        (Command::Ack, &[0x04, 0xD0, 0x04, 0x00, 0xFF, 0x28]),
        (
            Command::Beep(0x01),
            &[0x05, 0xE6, 0x04, 0x00, 0x01, 0xFF, 0x10],
        ),
        (
            Command::LedOn(Leds::GREEN),
            &[0x05, 0xE7, 0x04, 0x00, 0x01, 0xFF, 0x0F],
        ),
        (
            Command::LedOff(Leds::GREEN),
            &[0x05, 0xE8, 0x04, 0x00, 0x01, 0xFF, 0x0E],
        ),
        (
            Command::Nak(NakCause::Resend),
            &[0x05, 0xD1, 0x04, 0x00, 0x01, 0xFF, 0x25],
        ),
        (
            Command::Nak(NakCause::BadContext),
            &[0x05, 0xD1, 0x04, 0x00, 0x02, 0xFF, 0x24],
        ),
        (
            Command::Nak(NakCause::Denied),
            &[0x05, 0xD1, 0x04, 0x00, 0x06, 0xFF, 0x20],
        ),
    ];
    for &(command, expected) in table {
        let mut out = Vec::new();
        command.encode(&mut out);
        assert_eq!(out, expected, "{command:?}");
    }
}

#[test]
fn encode_appends_to_the_buffer() {
    let mut out = vec![0xAA];
    Command::Ack.encode(&mut out);
    Command::Beep(0x01).encode(&mut out);
    assert_eq!(
        out,
        [0xAA, 0x04, 0xD0, 0x04, 0x00, 0xFF, 0x28, 0x05, 0xE6, 0x04, 0x00, 0x01, 0xFF, 0x10]
    );
}

#[test]
fn commands_decode_back_to_their_packets() {
    for command in [
        Command::Ack,
        Command::Beep(0x19),
        Command::LedOn(Leds::RED),
        Command::LedOff(Leds(0x03)),
        Command::Nak(NakCause::Other(0x0A)),
    ] {
        let mut bytes = Vec::new();
        command.encode(&mut bytes);
        let (decoded, len) = Packet::decode(&bytes).expect("valid").expect("complete");
        assert_eq!(len, bytes.len());
        assert_eq!(decoded, command.to_packet());
        assert_eq!(decoded.opcode(), command.opcode());
        assert_eq!(decoded.source(), Source::Host);
        assert_eq!(decoded.status(), Status(0));
    }
}

#[test]
fn packet_round_trips_at_the_largest_length() {
    let data: Vec<u8> = (0..=250).collect();
    let packet = Packet::new(ssi::opcode::PARAM_SEND, Source::Decoder, Status(0x08), data)
        .expect("251 data bytes fit");
    let mut bytes = Vec::new();
    packet.encode(&mut bytes);
    assert_eq!(bytes.len(), 257);
    assert_eq!(bytes[0], 0xFF);
    assert_eq!(Packet::decode(&bytes), Ok(Some((packet, 257))));
}

// ---------------------------------------------------------------------------
// Packet::decode: the pure "need more bytes / packet / error" function.

/// DECODE_DATA, Code 128, "1234", checksum worked out by hand:
/// 09+F3+00+00+03+31+32+33+34 = 0x1C9, 0x10000 - 0x1C9 = 0xFE37.
const DECODE_1234: [u8; 11] = [
    0x09, 0xF3, 0x00, 0x00, 0x03, 0x31, 0x32, 0x33, 0x34, 0xFE, 0x37,
];

#[test]
fn hand_computed_decode_data_vector() {
    assert_eq!(decode_data(0, CODE_128, b"1234"), DECODE_1234);
    let (packet, len) = Packet::decode(&DECODE_1234).unwrap().unwrap();
    assert_eq!(len, 11);
    assert_eq!(packet.opcode(), DECODE_DATA);
    assert_eq!(packet.source(), Source::Decoder);
    assert_eq!(packet.data(), b"\x031234");
}

#[test]
fn every_strict_prefix_of_a_packet_needs_more_bytes() {
    let ack = packet(0xD0, 0x00, 0x00, &[]);
    for bytes in [&DECODE_1234[..], &ack] {
        for end in 0..bytes.len() {
            assert_eq!(
                Packet::decode(&bytes[..end]),
                Ok(None),
                "{:02X?}",
                &bytes[..end]
            );
        }
    }
}

#[test]
fn decode_consumes_only_its_packet() {
    let input = concat(&[&DECODE_1234, b"\x04\xD0"]);
    let (_, len) = Packet::decode(&input).unwrap().unwrap();
    assert_eq!(len, DECODE_1234.len());
}

#[test]
fn decode_errors_name_the_offending_byte() {
    let bad_checksum = corrupt(DECODE_1234.to_vec());
    let table: &[(&[u8], DecodeError)] = &[
        (&[0x03], DecodeError::TooShort { length: 3 }),
        (&[0x00, 0xF3], DecodeError::TooShort { length: 0 }),
        (&[0x04, 0x41], DecodeError::UnknownOpcode { opcode: 0x41 }),
        (
            &[0x05, 0xD0],
            DecodeError::BadLength {
                opcode: 0xD0,
                length: 5,
            },
        ),
        (
            &[0x04, 0xF3],
            DecodeError::BadLength {
                opcode: 0xF3,
                length: 4,
            },
        ),
        (
            &[0x06, 0xE6],
            DecodeError::BadLength {
                opcode: 0xE6,
                length: 6,
            },
        ),
        (
            &[0x04, 0xD1],
            DecodeError::BadLength {
                opcode: 0xD1,
                length: 4,
            },
        ),
        (&[0x04, 0xD0, 0x01], DecodeError::BadSource { byte: 0x01 }),
        (
            &bad_checksum,
            DecodeError::Checksum {
                at: 9,
                expected: 0xFE37,
                found: 0xFE36,
            },
        ),
    ];
    for (bytes, expected) in table {
        assert_eq!(
            Packet::decode(bytes).as_ref(),
            Err(expected),
            "{bytes:02X?}"
        );
    }
    assert_eq!(
        DecodeError::BadSource { byte: 0x01 }.to_string(),
        "byte 2: message source 0x01 is neither 0x00 (decoder) nor 0x04 (host)"
    );
    assert_eq!(
        checksum_error(&bad_checksum).to_string(),
        "bytes 9 and 10: checksum is 0xFE36, the bytes before it call for 0xFE37"
    );
}

#[test]
fn decode_never_panics_on_any_two_byte_header_and_short_tail() {
    for length in 0..=u8::MAX {
        for opcode in 0..=u8::MAX {
            let bytes = [length, opcode, 0x00, 0x00, 0x03, 0x41];
            for end in 0..=bytes.len() {
                let _ = Packet::decode(&bytes[..end]);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// SsiDecoder: the stream table.

struct Case {
    name: &'static str,
    max_len: usize,
    input: Vec<u8>,
    /// Everything the `decode` calls return, merged.
    decoded: Decoded,
    /// What `finish` returns afterwards.
    finished: Decoded,
}

fn case(name: &'static str, input: Vec<u8>, decoded: Decoded) -> Case {
    Case {
        name,
        max_len: firmware_bridge::DEFAULT_MAX_LEN,
        input,
        decoded,
        finished: Decoded::default(),
    }
}

impl Case {
    fn then_finish(mut self, finished: Decoded) -> Case {
        self.finished = finished;
        self
    }

    fn max_len(mut self, max_len: usize) -> Case {
        self.max_len = max_len;
        self
    }
}

fn out(
    scans: Vec<Scan>,
    messages: Vec<Message>,
    replies: Vec<Command>,
    skipped: Vec<Skipped>,
) -> Decoded {
    Decoded {
        scans,
        messages,
        replies,
        skipped,
    }
}

fn cases() -> Vec<Case> {
    let box1 = decode_data(0, CODE_128, b"BOX-000123");
    let box1_again = decode_data(RETRANSMIT, CODE_128, b"BOX-000123");
    let box1_scan = || scan(CODE_128, Symbology::Code128, b"BOX-000123");
    let qr = decode_data(0, QR_CODE, "2012鸿借字第001号".as_bytes());
    let qr_scan = || scan(QR_CODE, Symbology::QrCode, "2012鸿借字第001号".as_bytes());
    let bad_box1 = corrupt(box1.clone());
    let garbage: &[u8] = b"\x00\x00\xff\xff\x13\x11hello\x7f\xfe";

    let part1 = decode_data(CONTINUATION, QR_CODE, b"https://archive");
    let part2 = decode_data(CONTINUATION, QR_CODE, b".example/box/");
    let part3 = decode_data(0, QR_CODE, b"000123");
    let part1_again = decode_data(CONTINUATION | RETRANSMIT, QR_CODE, b"https://archive");
    let joined = || {
        scan(
            QR_CODE,
            Symbology::QrCode,
            b"https://archive.example/box/000123",
        )
    };

    let ack_from_scanner = packet(0xD0, 0x00, 0x00, &[]);
    let nak_from_scanner = packet(0xD1, 0x00, 0x00, &[0x06]);
    let event = packet(0xF6, 0x00, 0x00, &[0x03]);
    let event_packet =
        Packet::new(0xF6, Source::Decoder, Status(0), vec![0x03]).expect("small packet");
    let echoed_ack = packet(0xD0, 0x04, 0x00, &[]);

    let l1 = box1.len();
    vec![
        case(
            "one DECODE_DATA packet",
            box1.clone(),
            out(vec![box1_scan()], vec![], acks(1), vec![]),
        ),
        case(
            "hand-computed vector",
            DECODE_1234.to_vec(),
            out(
                vec![scan(CODE_128, Symbology::Code128, b"1234")],
                vec![],
                acks(1),
                vec![],
            ),
        ),
        case(
            "two packets back to back",
            concat(&[&box1, &qr]),
            out(vec![box1_scan(), qr_scan()], vec![], acks(2), vec![]),
        ),
        case(
            "unknown barcode type keeps its type byte",
            decode_data(0, 0x99, b"xyz"),
            out(
                vec![scan(0x99, Symbology::Unknown, b"xyz")],
                vec![],
                acks(1),
                vec![],
            ),
        ),
        case(
            "DECODE_DATA without data is acknowledged and skipped",
            decode_data(0, CODE_128, b""),
            out(
                vec![],
                vec![],
                acks(1),
                vec![skip(0, 7, SkipReason::NoData)],
            ),
        ),
        case(
            "garbage before a packet is one skipped run",
            concat(&[garbage, &box1]),
            out(
                vec![box1_scan()],
                vec![],
                acks(1),
                vec![skip(
                    0,
                    garbage.len(),
                    SkipReason::BadPacket(DecodeError::TooShort { length: 0 }),
                )],
            ),
        ),
        case(
            "garbage between packets",
            concat(&[&box1, garbage, &qr]),
            out(
                vec![box1_scan(), qr_scan()],
                vec![],
                acks(2),
                vec![skip(
                    l1,
                    garbage.len(),
                    SkipReason::BadPacket(DecodeError::TooShort { length: 0 }),
                )],
            ),
        ),
        case(
            "bad checksum: skipped, not acknowledged; the retransmission is decoded",
            concat(&[&bad_box1, &box1_again]),
            out(
                vec![box1_scan()],
                vec![],
                acks(1),
                vec![skip(
                    0,
                    l1,
                    SkipReason::BadPacket(checksum_error(&bad_box1)),
                )],
            ),
        ),
        case(
            "retransmission after noise is a new scan, not a duplicate",
            concat(&[&box1, &bad_box1, &box1_again]),
            out(
                vec![box1_scan(), box1_scan()],
                vec![],
                acks(2),
                vec![skip(
                    l1,
                    l1,
                    SkipReason::BadPacket(checksum_error(&bad_box1)),
                )],
            ),
        ),
        case(
            "retransmission of a packet already received: ACKed again, decoded once",
            concat(&[&box1, &box1_again]),
            out(
                vec![box1_scan()],
                vec![],
                acks(2),
                vec![skip(l1, l1, SkipReason::Duplicate)],
            ),
        ),
        case(
            "the same barcode scanned twice is two scans",
            concat(&[&box1, &box1]),
            out(vec![box1_scan(), box1_scan()], vec![], acks(2), vec![]),
        ),
        case(
            "multi-packet message is joined, every packet ACKed",
            concat(&[&part1, &part2, &part3]),
            out(vec![joined()], vec![], acks(3), vec![]),
        ),
        case(
            "multi-packet message with a retransmitted packet",
            concat(&[&part1, &part1_again, &part2, &part3]),
            out(
                vec![joined()],
                vec![],
                acks(4),
                vec![skip(part1.len(), part1.len(), SkipReason::Duplicate)],
            ),
        ),
        case(
            "multi-packet message interrupted by another barcode",
            concat(&[&part1, &box1]),
            out(
                vec![box1_scan()],
                vec![],
                acks(2),
                vec![skip(0, part1.len(), SkipReason::Incomplete)],
            ),
        ),
        case(
            "multi-packet message still open at the end",
            concat(&[&part1, &part2]),
            out(vec![], vec![], acks(2), vec![]),
        )
        .then_finish(out(
            vec![],
            vec![],
            vec![],
            vec![skip(0, part1.len() + part2.len(), SkipReason::Incomplete)],
        )),
        case(
            "message over the maximum is skipped whole; the next one decoded",
            concat(&[&part1, &part2, &part3, &box1]),
            out(
                vec![box1_scan()],
                vec![],
                acks(4),
                vec![skip(
                    0,
                    part1.len() + part2.len() + part3.len(),
                    SkipReason::TooLong { max_len: 20 },
                )],
            ),
        )
        .max_len(20),
        case(
            "single packet over the maximum",
            box1.clone(),
            out(
                vec![],
                vec![],
                acks(1),
                vec![skip(0, l1, SkipReason::TooLong { max_len: 9 })],
            ),
        )
        .max_len(9),
        case(
            "ACK and NAK from the scanner",
            concat(&[&ack_from_scanner, &nak_from_scanner]),
            out(
                vec![],
                vec![Message::Ack, Message::Nak(NakCause::Denied)],
                vec![],
                vec![],
            ),
        ),
        case(
            "EVENT is passed on and acknowledged",
            event,
            out(vec![], vec![Message::Other(event_packet)], acks(1), vec![]),
        ),
        case(
            "our own ACK echoed back is passed on, not taken as the scanner's",
            echoed_ack,
            out(
                vec![],
                vec![Message::Other(Command::Ack.to_packet())],
                vec![],
                vec![],
            ),
        ),
        case(
            "partial packet at the end",
            box1[..7].to_vec(),
            Decoded::default(),
        )
        .then_finish(out(
            vec![],
            vec![],
            vec![],
            vec![skip(0, 7, SkipReason::Incomplete)],
        )),
        case(
            "a plausible header waits for bytes; finish finds the packet behind it",
            concat(&[&[0x30, 0xF3, 0x00], &box1]),
            Decoded::default(),
        )
        .then_finish(out(
            vec![box1_scan()],
            vec![],
            acks(1),
            vec![skip(0, 3, SkipReason::Incomplete)],
        )),
    ]
}

fn feed(max_len: usize, chunks: &[&[u8]]) -> (Decoded, Decoded) {
    let mut decoder = SsiDecoder::with_max_len(max_len);
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
        let (decoded, finished) = feed(case.max_len, &[&case.input]);
        assert_eq!(decoded, case.decoded, "{}", case.name);
        assert_eq!(finished, case.finished, "{}: finish", case.name);
    }
}

#[test]
fn table_split_at_every_byte_boundary() {
    for case in cases() {
        for at in 0..=case.input.len() {
            let (head, tail) = case.input.split_at(at);
            let (decoded, finished) = feed(case.max_len, &[head, tail]);
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
        let (decoded, finished) = feed(case.max_len, &bytes);
        assert_eq!(decoded, case.decoded, "{}: byte by byte", case.name);
        assert_eq!(
            finished, case.finished,
            "{}: byte by byte, finish",
            case.name
        );
    }
}

#[test]
fn scan_and_ack_come_from_the_call_that_completes_the_packet() {
    let mut decoder = SsiDecoder::new();
    assert!(decoder.decode(&DECODE_1234[..10]).is_empty());
    let out = decoder.decode(&DECODE_1234[10..]);
    assert_eq!(out.scans, [scan(CODE_128, Symbology::Code128, b"1234")]);
    assert_eq!(out.replies, [Command::Ack]);
}

#[test]
fn retransmission_is_recognised_across_finish() {
    // The port layer may call `finish` when the line goes idle; the scanner
    // retransmits only after its ACK timeout, i.e. after such a gap.
    let mut decoder = SsiDecoder::new();
    let first = decoder.decode(&decode_data(0, CODE_128, b"BOX-1"));
    assert_eq!(first.scans.len(), 1);
    assert!(decoder.finish().is_empty());
    let again = decoder.decode(&decode_data(RETRANSMIT, CODE_128, b"BOX-1"));
    assert!(again.scans.is_empty());
    assert_eq!(again.replies, [Command::Ack]);
    assert_eq!(again.skipped[0].reason, SkipReason::Duplicate);
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

fn assert_inside(decoded: &Decoded, input_len: usize) {
    for skipped in &decoded.skipped {
        assert!(
            skipped.offset + skipped.len as u64 <= input_len as u64,
            "{skipped} past the end"
        );
    }
}

#[test]
fn random_noise_never_panics_and_chunking_does_not_matter() {
    let mut rng = Rng(0x0055_1DEC_0DE5);
    for round in 0..400 {
        let len = rng.below(600);
        let mut input = rng.bytes(len);
        // Mix in real packets so headers, checksums and multi-packet state
        // are exercised, not only the reject paths.
        if round % 2 == 0 {
            let at = rng.below(input.len() + 1);
            let status = (rng.next() & 0x03) as u8;
            let data = {
                let len = rng.below(40);
                rng.bytes(len)
            };
            let packet = decode_data(status, CODE_128, &data);
            input.splice(at..at, packet);
        }
        let chunks = random_chunks(&mut rng, &input);
        let whole = feed(64, &[&input]);
        assert_eq!(feed(64, &chunks), whole, "{input:02X?}");
        assert_inside(&whole.0, input.len());
        assert_inside(&whole.1, input.len());
    }
}

#[test]
fn packets_after_a_garbage_burst_are_decoded() {
    let mut rng = Rng(0xFEED_BEEF);
    for _ in 0..100 {
        let garbage = {
            let len = rng.below(2000);
            rng.bytes(len)
        };
        let box1 = decode_data(0, CODE_128, b"BOX-000001");
        let box2 = decode_data(0, QR_CODE, b"BOX-000002");
        let input = concat(&[&garbage, &box1, &box2]);
        let chunks = random_chunks(&mut rng, &input);
        let (mut all, finished) = feed(ssi::MAX_DATA_LEN, &chunks);
        all.append(finished);
        assert_inside(&all, input.len());
        let tail = all.scans.get(all.scans.len().saturating_sub(2)..);
        assert_eq!(
            tail,
            Some(
                &[
                    scan(CODE_128, Symbology::Code128, b"BOX-000001"),
                    scan(QR_CODE, Symbology::QrCode, b"BOX-000002"),
                ][..]
            ),
            "garbage {garbage:02X?}"
        );
    }
}
