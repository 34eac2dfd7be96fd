import GrowdaCrypto

/// Frame 1 of every message: 36 bytes, little-endian, sent in the clear.
///
/// ```
/// offset size field
///      0    4 magic "GRWD" (47 52 57 44)
///      4    1 format version (1)
///      5    1 message type (MessageType raw value)
///      6    2 flags (0; any other value is refused)
///      8    4 sender id
///     12   24 secretbox nonce for frame 2
/// ```
public struct WireHeader: Sendable, Hashable {
    /// The header's size in bytes.
    public static let byteCount = 36
    /// The four magic bytes, "GRWD".
    public static let magic: [UInt8] = Array("GRWD".utf8)
    /// The one format version this code speaks.
    public static let currentVersion: UInt8 = 1

    /// The message type.
    public var type: MessageType
    /// The sender id (0 aggregator, 0xFFFF_FFFF admin, nodes in between).
    public var sender: UInt32
    /// The nonce frame 2 was sealed with.
    public var nonce: SecretBox.Nonce

    /// Makes a header.
    public init(type: MessageType, sender: UInt32, nonce: SecretBox.Nonce) {
        self.type = type
        self.sender = sender
        self.nonce = nonce
    }

    /// The 36 header bytes.
    public var encoded: [UInt8] {
        var bytes = Self.magic
        bytes.reserveCapacity(Self.byteCount)
        bytes.append(Self.currentVersion)
        bytes.append(type.rawValue)
        bytes.append(contentsOf: [0, 0])
        withUnsafeBytes(of: sender.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: nonce.bytes)
        return bytes
    }

    /// Reads a header, checking in order: length, magic, version, message type, flags.
    ///
    /// Returns ``RejectionReason/unsupportedVersion`` for a well-framed header of another version and
    /// ``RejectionReason/malformed`` for every other fault.
    public static func decode(_ bytes: [UInt8]) -> Result<WireHeader, RejectionReason> {
        guard bytes.count == byteCount, bytes[0..<4].elementsEqual(magic) else { return .failure(.malformed) }
        guard bytes[4] == currentVersion else { return .failure(.unsupportedVersion) }
        guard let type = MessageType(rawValue: bytes[5]) else { return .failure(.malformed) }
        guard bytes[6] == 0, bytes[7] == 0 else { return .failure(.malformed) }
        let sender = UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24
        guard let nonce = try? SecretBox.Nonce(bytes: bytes[12..<byteCount]) else { return .failure(.malformed) }
        return .success(WireHeader(type: type, sender: sender, nonce: nonce))
    }

    /// The sender id frame 1 claims, for attributing a refusal (nil when frame 1 is not a header): a
    /// claim only, since a message that failed to open was not authenticated.
    public static func claimedSender(_ bytes: [UInt8]) -> UInt32? {
        guard case .success(let header) = decode(bytes) else { return nil }
        return header.sender
    }
}
