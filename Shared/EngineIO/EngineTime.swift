/// A point on the caller's monotonic clock, in milliseconds.
///
/// Sessions never read a clock: every event comes with the current time, and every deadline
/// they ask for is an `EngineTime` on the same clock.
public struct EngineTime: Sendable, Hashable, Comparable {
    /// Milliseconds since an arbitrary origin chosen by the caller.
    public var milliseconds: Int64

    /// The instant `milliseconds` after the caller's origin.
    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// The instant `offset` milliseconds later.
    public static func + (time: EngineTime, offset: Int64) -> EngineTime {
        EngineTime(milliseconds: time.milliseconds + offset)
    }

    /// Orders instants by time.
    public static func < (lhs: EngineTime, rhs: EngineTime) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }
}
