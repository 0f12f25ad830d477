import Foundation

/// Wall-clock times as the contracts write them, always in UTC, from the bus's unit
/// (milliseconds since the Unix epoch). One place for the conversions every service needs,
/// without creating a formatter per call.
public enum Timestamp {
    /// The calendar parts of an instant, in UTC.
    public struct Parts: Sendable, Equatable {
        /// The year, e.g. 2026.
        public var year: Int
        /// 1…12.
        public var month: Int
        /// 1…31.
        public var day: Int
        /// 0…23.
        public var hour: Int
        /// 0…59.
        public var minute: Int
        /// 0…60.
        public var second: Int
        /// 0…999.
        public var millisecond: Int

        /// Parts from their values.
        public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
            (self.year, self.month, self.day) = (year, month, day)
            (self.hour, self.minute, self.second, self.millisecond) = (hour, minute, second, millisecond)
        }
    }

    /// The UTC calendar parts of `milliseconds` since the epoch.
    public static func parts(_ milliseconds: Int64) -> Parts {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        var time = time_t(seconds)
        var fields = tm()
        gmtime_r(&time, &fields)
        return Parts(year: Int(fields.tm_year) + 1900, month: Int(fields.tm_mon) + 1, day: Int(fields.tm_mday),
                     hour: Int(fields.tm_hour), minute: Int(fields.tm_min), second: Int(fields.tm_sec),
                     millisecond: Int(milliseconds - seconds * 1000))
    }

    /// ISO 8601 in UTC with milliseconds, e.g. `2026-02-02T12:00:00.000Z`.
    /// Written digit by digit: `String(format:)` cost ~5% of the chat service's CPU per message.
    public static func iso8601(_ milliseconds: Int64) -> String {
        let p = parts(milliseconds)
        guard (0...9999).contains(p.year) else {
            return "\(pad(p.year, 4))-\(pad(p.month, 2))-\(pad(p.day, 2))T\(pad(p.hour, 2)):\(pad(p.minute, 2)):"
                + "\(pad(p.second, 2)).\(pad(p.millisecond, 3))Z"
        }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var position = 0
            func put(_ value: Int, _ digits: Int, then separator: UInt8?) {
                var value = value
                for offset in stride(from: digits - 1, through: 0, by: -1) {
                    buffer[position + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                position += digits
                if let separator {
                    buffer[position] = separator
                    position += 1
                }
            }
            put(p.year, 4, then: UInt8(ascii: "-"))
            put(p.month, 2, then: UInt8(ascii: "-"))
            put(p.day, 2, then: UInt8(ascii: "T"))
            put(p.hour, 2, then: UInt8(ascii: ":"))
            put(p.minute, 2, then: UInt8(ascii: ":"))
            put(p.second, 2, then: UInt8(ascii: "."))
            put(p.millisecond, 3, then: UInt8(ascii: "Z"))
            return position
        }
    }

    /// `value` with leading zeros to `digits` characters, a sign counted among them, as
    /// `%0<digits>d` writes it.
    private static func pad(_ value: Int, _ digits: Int) -> String {
        let text = String(value.magnitude)
        let width = value < 0 ? digits - 1 : digits
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Milliseconds since the epoch of an ISO 8601 date-time with or without fractional
    /// seconds (`2025-01-02T10:15:00.000Z`, `2025-01-02T10:15:00+02:00`); `nil` otherwise.
    public static func parse(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }
}
