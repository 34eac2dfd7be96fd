import GrowdaCrypto

/// Turns messages into frames (`[[UInt8]]`, one array per frame of a multipart message), sealed with the
/// key the protocol names for each type and signed where the type is signed.
///
/// The body is laid out once, straight into the buffer that is then sealed in place, so a tensor's bytes
/// are copied once on the way out. Each call takes a fresh random nonce unless one is given; a fixed
/// nonce is for known-answer tests only, since a nonce must never be reused with the same key.
public enum WireEncoder {
    /// An update, sealed with the sending node's key.
    public static func encode(
        _ update: UpdateMessage, nodeKey: SecretBoxKey, nonce: SecretBox.Nonce? = nil, limits: WireLimits = .standard
    ) throws(WireEncodingError) -> [[UInt8]] {
        try frames(update, key: nodeKey, signingKey: nil, nonce: nonce, limits: limits)
    }

    /// A heartbeat, sealed with the sending node's key.
    public static func encode(
        _ heartbeat: HeartbeatMessage, nodeKey: SecretBoxKey, nonce: SecretBox.Nonce? = nil,
        limits: WireLimits = .standard
    ) throws(WireEncodingError) -> [[UInt8]] {
        try frames(heartbeat, key: nodeKey, signingKey: nil, nonce: nonce, limits: limits)
    }

    /// A snapshot request, sealed with the asking node's key.
    public static func encode(
        _ request: SnapshotRequest, nodeKey: SecretBoxKey, nonce: SecretBox.Nonce? = nil,
        limits: WireLimits = .standard
    ) throws(WireEncodingError) -> [[UInt8]] {
        try frames(request, key: nodeKey, signingKey: nil, nonce: nonce, limits: limits)
    }

    /// A model broadcast, sealed with the federation's model key and signed with the aggregator's key.
    public static func encode(
        _ model: ModelMessage, modelKey: SecretBoxKey, signingKey: SigningKey, nonce: SecretBox.Nonce? = nil,
        limits: WireLimits = .standard
    ) throws(WireEncodingError) -> [[UInt8]] {
        try frames(model, key: modelKey, signingKey: signingKey, nonce: nonce, limits: limits)
    }

    /// A snapshot reply, sealed with the recipient node's key and signed with the aggregator's key.
    public static func encode(
        _ reply: SnapshotReply, nodeKey: SecretBoxKey, signingKey: SigningKey, nonce: SecretBox.Nonce? = nil,
        limits: WireLimits = .standard
    ) throws(WireEncodingError) -> [[UInt8]] {
        try frames(reply, key: nodeKey, signingKey: signingKey, nonce: nonce, limits: limits)
    }

    /// A status request, sealed with the admin key.
    public static func encode(
        _ request: StatusRequest, adminKey: SecretBoxKey, nonce: SecretBox.Nonce? = nil,
        limits: WireLimits = .standard
    ) throws(WireEncodingError) -> [[UInt8]] {
        try frames(request, key: adminKey, signingKey: nil, nonce: nonce, limits: limits)
    }

    /// A status reply, sealed with the admin key.
    public static func encode(
        _ reply: StatusReply, adminKey: SecretBoxKey, nonce: SecretBox.Nonce? = nil, limits: WireLimits = .standard
    ) throws(WireEncodingError) -> [[UInt8]] {
        try frames(reply, key: adminKey, signingKey: nil, nonce: nonce, limits: limits)
    }

    /// The frames of `body`: header, sealed body, and the signature when `signingKey` is given.
    static func frames(
        _ body: some MessageBody, key: SecretBoxKey, signingKey: SigningKey?, nonce: SecretBox.Nonce?,
        limits: WireLimits
    ) throws(WireEncodingError) -> [[UInt8]] {
        let type = type(of: body).type
        var fields = try body.fields(limits: limits)
        fields["type"] = type.name
        fields["sender"] = String(body.senderID)
        if let recipient = body.recipientID { fields["recipient"] = String(recipient) }
        let metadataBytes = fields.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        try check("metadata bytes", metadataBytes, limits.maxMetadataBytes)
        let tensors = body.bodyTensors
        let coded = body.bodyCoded
        try check("tensor count", tensors.count + (coded?.count ?? 0), limits.maxTensors)
        let plan = SafetensorsBody(metadata: fields, tensors: tensors, coded: coded)
        try check("safetensors header bytes", plan.header.count, limits.maxHeaderBytes)
        let sealedCount = SecretBox.sealedByteCount(plaintextByteCount: plan.byteCount)
        let signatureCount = signingKey == nil ? 0 : Signature.byteCount
        try check("size in bytes", WireHeader.byteCount + sealedCount + signatureCount, limits.maxMessageBytes)

        do throws(CryptoError) {
            let sealingNonce: SecretBox.Nonce
            if let nonce { sealingNonce = nonce } else { sealingNonce = try SecretBox.Nonce() }
            let header = WireHeader(type: type, sender: body.senderID, nonce: sealingNonce)
            let frame1 = header.encoded
            let frame2 = try seal(plan, key: key, nonce: header.nonce, sealedCount: sealedCount)
            guard let signingKey else { return [frame1, frame2] }
            let signature = try signingKey.sign(try signedDigest(frame1: frame1, frame2: frame2))
            return [frame1, frame2, signature.bytes]
        } catch {
            throw .crypto(error)
        }
    }

    /// Writes the body after room for the tag, then seals it in place: the tag lands in front of the
    /// ciphertext, which is `crypto_secretbox_easy`'s layout.
    private static func seal(
        _ plan: SafetensorsBody, key: SecretBoxKey, nonce: SecretBox.Nonce, sealedCount: Int
    ) throws(CryptoError) -> [UInt8] {
        var failure: CryptoError?
        let sealed = [UInt8](unsafeUninitializedCapacity: sealedCount) { buffer, initialised in
            let whole = UnsafeMutableRawBufferPointer(buffer)
            let body = UnsafeMutableRawBufferPointer(rebasing: whole[SecretBox.macByteCount...])
            plan.write(into: body)
            do throws(CryptoError) {
                initialised = try SecretBox.seal(UnsafeRawBufferPointer(body), key: key, nonce: nonce, into: whole)
            } catch {
                failure = error
                initialised = 0
            }
        }
        if let failure { throw failure }
        return sealed
    }

    /// The digest the aggregator signs: BLAKE2b-256 of frame 1 followed by frame 2.
    static func signedDigest(frame1: [UInt8], frame2: [UInt8]) throws(CryptoError) -> GenericHash.Digest {
        try frame2.withUnsafeBytes { body in
            Result { () throws(CryptoError) in try signedDigest(frame1: frame1, frame2: body) }
        }.get()
    }

    /// BLAKE2b-256 of frame 1 ‖ frame 2, frame 2 given in place.
    static func signedDigest(frame1: [UInt8], frame2: UnsafeRawBufferPointer) throws(CryptoError) -> GenericHash.Digest {
        let joined = [UInt8](unsafeUninitializedCapacity: frame1.count + frame2.count) { buffer, initialised in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            frame1.withUnsafeBytes { raw.copyMemory(from: $0) }
            UnsafeMutableRawBufferPointer(rebasing: raw[frame1.count...]).copyMemory(from: frame2)
            initialised = frame1.count + frame2.count
        }
        return try GenericHash.hash(joined)
    }

    private static func check(_ what: String, _ size: Int, _ limit: Int) throws(WireEncodingError) {
        guard size <= limit else { throw .exceedsLimit(what: what, size: size, limit: limit) }
    }
}
