/// A fixed-size, heap-allocated Float32 buffer with a stable address, freed on release.
///
/// Models keep their flat parameter vector in one of these, so layers, optimizers and worker
/// threads can hold raw pointers into it without copy-on-write surprises. Shared across threads
/// only under the owner's discipline (workers read, one thread writes between steps).
public final class FloatBuffer: @unchecked Sendable {
    /// The memory.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int

    /// A zero-filled buffer of `count` elements.
    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: some Collection<Float>) {
        self.init(count: values.count)
        _ = UnsafeMutableBufferPointer(start: pointer, count: count).initialize(from: values)
    }

    deinit { pointer.deallocate() }

    /// The contents as a buffer pointer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }

    /// A copy of the contents as an array.
    public var array: [Float] { Array(buffer) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Overwrites the contents with `values`, which must have `count` elements.
    public func assign(_ values: some Collection<Float>) {
        precondition(values.count == count, "assigning \(values.count) values to a buffer of \(count)")
        _ = buffer.update(fromContentsOf: values)
    }
}

/// Wraps a value that is not Sendable so it can cross into concurrently run work whose
/// exclusivity the caller guarantees (each worker touches only its own part).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The wrapped value.
    public let value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
}
