import GrowdaCrypto
import GrowdaSafetensors

/// Turns frames into a ``Message`` or a ``RejectionReason``: total, for any list of byte strings.
///
/// The checks run cheapest first and in a fixed order, so a refusal costs as little as possible and the
/// same input always gives the same reason (PROTOCOL.md, "Decoding order"):
///
/// 1. the frames' total size (``RejectionReason/oversize``), before anything else is read;
/// 2. the frame count, frame 1 (length, magic, version, type, flags), frame 2's and frame 3's lengths;
/// 3. the sender: allowed to send this type, and known and not revoked by the ``KeyResolver``;
/// 4. the signature over frame 1 ‖ frame 2 for signed types, before decrypting;
/// 5. the Poly1305 tag, opening frame 2 into a buffer of exactly its plaintext size;
/// 6. the body: safetensors structure and limits, the repeated type, sender and recipient, every tensor
///    F32 (for a compressed update, whose `codec` names an ``UpdateEncoding``: every tensor U8 of rank 1),
///    then the type's own fields.
///
/// Memory: one buffer of the plaintext's size (at most ``WireLimits/maxMessageBytes``), the parsed
/// header (at most ``WireLimits/maxHeaderBytes``), and for signed types one copy of frames 1 and 2 to
/// hash. Tensors stay in the opened buffer; ``WireTensors`` reads them in place.
public enum WireDecoder {
    /// Decodes `frames`, looking keys up in `keys`; a refusal is also recorded in `counter` when given.
    public static func open(
        _ frames: [[UInt8]],
        keys: some KeyResolver,
        limits: WireLimits = .standard,
        counter: RejectionCounter? = nil
    ) -> Result<Message, RejectionReason> {
        let total = frames.reduce(0) { $0 + $1.count }
        guard total <= limits.maxMessageBytes else { return refused(.oversize, counter) }
        guard frames.count == 2 || frames.count == 3 else { return refused(.malformed, counter) }
        return frames[1].withUnsafeBytes { body in
            open(
                header: frames[0], body: body, signature: frames.count == 3 ? frames[2] : nil, keys: keys,
                limits: limits, counter: counter)
        }
    }

    /// Decodes a message given as its frames 1 and 3 (`signature`, nil for a two-frame message) and frame 2
    /// in place, e.g. in the memory of a received ZeroMQ message: the same checks as `open(_:keys:limits:counter:)`,
    /// without copying the body first.
    public static func open(
        header: [UInt8],
        body: UnsafeRawBufferPointer,
        signature: [UInt8]?,
        keys: some KeyResolver,
        limits: WireLimits = .standard,
        counter: RejectionCounter? = nil
    ) -> Result<Message, RejectionReason> {
        let result = Result { () throws(RejectionReason) in
            try decode(header: header, body: body, signature: signature, keys: keys, limits: limits)
        }
        if case .failure(let reason) = result { counter?.record(reason) }
        return result
    }

    private static func refused(_ reason: RejectionReason, _ counter: RejectionCounter?) -> Result<Message, RejectionReason> {
        counter?.record(reason)
        return .failure(reason)
    }

    private static func decode(
        header headerBytes: [UInt8], body: UnsafeRawBufferPointer, signature: [UInt8]?, keys: some KeyResolver,
        limits: WireLimits
    ) throws(RejectionReason)
        -> Message
    {
        let total = headerBytes.count + body.count + (signature?.count ?? 0)
        guard total <= limits.maxMessageBytes else { throw .oversize }
        let header: WireHeader
        switch WireHeader.decode(headerBytes) {
        case .success(let decoded): header = decoded
        case .failure(let reason): throw reason
        }
        let type = header.type
        let frameCount = signature == nil ? 2 : 3
        guard frameCount == type.frameCount, body.count >= SecretBox.macByteCount else { throw .malformed }
        guard !type.isSigned || signature?.count == Signature.byteCount else { throw .malformed }

        guard SenderID.id(header.sender, canSendAs: type.sender) else { throw .unknownSender }
        let key: SecretBoxKey
        switch keys.openingKey(for: type, sender: header.sender) {
        case .key(let found): key = found
        case .unknown: throw .unknownSender
        case .revoked: throw .revokedSender
        }
        if type.isSigned, let signature {
            guard let verifyKey = keys.aggregatorVerifyKey else { throw .unknownSender }
            try checkSignature(signature, header: headerBytes, body: body, verifyKey: verifyKey)
        }

        let plaintext: [UInt8]
        do throws(CryptoError) {
            plaintext = try SecretBox.open(body, nonce: header.nonce, key: key)
        } catch {
            throw .badMAC
        }
        let file = try parseBody(plaintext, limits: limits)
        let fields = MetadataFields(fields: file.metadata)
        try checkCommonFields(fields, header: header, localID: keys.localID)
        if type == .update, let codec = fields.fields["codec"], codec != "none" {
            guard let encoding = UpdateEncoding(rawValue: codec) else { throw .malformed }
            let coded = try checkCodedTensors(file, encoding: encoding)
            return .update(
                try UpdateMessage(sender: header.sender, fields: fields, tensors: .empty, coded: coded, limits: limits))
        }
        let tensors = try checkTensors(file)
        return try message(type, sender: header.sender, fields: fields, tensors: tensors, limits: limits)
    }

    /// Checks frame 3, the Ed25519 signature of BLAKE2b-256(frame 1 ‖ frame 2).
    private static func checkSignature(
        _ bytes: [UInt8], header: [UInt8], body: UnsafeRawBufferPointer, verifyKey: VerifyKey
    ) throws(RejectionReason) {
        guard let signature = try? Signature(bytes: bytes) else { throw .malformed }
        let digest: GenericHash.Digest
        do throws(CryptoError) {
            digest = try WireEncoder.signedDigest(frame1: header, frame2: body)
        } catch {
            throw .badMAC
        }
        guard verifyKey.isValidSignature(signature, for: digest) else { throw .badMAC }
    }

    /// Parses the opened body as safetensors within the limits. A header length that reaches past the
    /// body is malformed (a false claim, not a large message); one that fits but is above the limit is
    /// oversize.
    private static func parseBody(_ plaintext: [UInt8], limits: WireLimits) throws(RejectionReason) -> SafetensorsFile {
        guard plaintext.count >= 8 else { throw .malformed }
        let claimed = plaintext[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard claimed <= UInt64(plaintext.count - 8) else { throw .malformed }
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(bytes: plaintext, maxHeaderBytes: limits.maxHeaderBytes)
        } catch let error as SafetensorsError where error.reason == .headerTooLarge {
            throw .oversize
        } catch {
            throw .malformed
        }
        guard file.tensors.count <= limits.maxTensors else { throw .oversize }
        var metadataBytes = 0
        for (key, value) in file.metadata { metadataBytes += key.utf8.count + value.utf8.count }
        guard metadataBytes <= limits.maxMetadataBytes else { throw .oversize }
        return file
    }

    /// The body's `type`, `sender` and `recipient` must be present (else malformed) and repeat frame 1
    /// and the receiver's id (else bad MAC: frame 1 is not the one that was sealed).
    private static func checkCommonFields(
        _ fields: MetadataFields, header: WireHeader, localID: UInt32
    ) throws(RejectionReason) {
        guard try fields.text("type") == header.type.name else { throw .badMAC }
        guard try fields.uint32("sender") == header.sender else { throw .badMAC }
        if header.type.hasRecipient {
            guard try fields.uint32("recipient") == localID else { throw .badMAC }
        }
    }

    /// Every tensor must be F32 (else wrong tensors); they are returned in name order, in place.
    private static func checkTensors(_ file: SafetensorsFile) throws(RejectionReason) -> WireTensors {
        guard file.tensors.allSatisfy({ $0.dtype == .F32 }) else { throw .wrongTensors }
        let names = file.tensors.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return WireTensors(storage: .body(file, sortedNames: names))
    }

    /// A compressed update's tensors must be U8 of rank 1 (else wrong tensors); their bytes are checked
    /// against the model's layout by ``UpdateValidator``.
    private static func checkCodedTensors(
        _ file: SafetensorsFile, encoding: UpdateEncoding
    ) throws(RejectionReason) -> CodedTensors {
        guard file.tensors.allSatisfy({ $0.dtype == .U8 && $0.shape.count == 1 }) else { throw .wrongTensors }
        let names = file.tensors.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return CodedTensors(encoding: encoding, storage: .body(file, sortedNames: names))
    }

    private static func message(
        _ type: MessageType, sender: UInt32, fields: MetadataFields, tensors: WireTensors, limits: WireLimits
    ) throws(RejectionReason) -> Message {
        func read<Body: MessageBody>(_: Body.Type) throws(RejectionReason) -> Body {
            try Body(sender: sender, fields: fields, tensors: tensors, limits: limits)
        }
        switch type {
        case .update: return .update(try read(UpdateMessage.self))
        case .heartbeat: return .heartbeat(try read(HeartbeatMessage.self))
        case .model: return .model(try read(ModelMessage.self))
        case .snapshotRequest: return .snapshotRequest(try read(SnapshotRequest.self))
        case .snapshotReply: return .snapshotReply(try read(SnapshotReply.self))
        case .statusRequest: return .statusRequest(try read(StatusRequest.self))
        case .statusReply: return .statusReply(try read(StatusReply.self))
        }
    }
}
