import Contracts
import Foundation
import Testing

@Suite("Timestamp: UTC calendar parts and ISO 8601")
struct TimestampTests {
    @Test("ISO 8601 with milliseconds, as Foundation's formatter writes it")
    func iso() {
        #expect(Timestamp.iso8601(1_770_033_600_000) == "2026-02-02T12:00:00.000Z")
        #expect(Timestamp.iso8601(1_761_402_600_123) == "2025-10-25T14:30:00.123Z")
        #expect(Timestamp.iso8601(0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(-1) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.iso8601(253_402_300_800_000) == "10000-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(-62_198_755_200_000) == "-001-01-01T00:00:00.000Z")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for ms: Int64 in [1, 999, 86_399_999, 951_782_400_000, 4_102_444_799_999] {
            #expect(Timestamp.iso8601(ms) == formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)))
        }
    }

    @Test("parts and parsing")
    func partsAndParse() {
        #expect(Timestamp.parts(1_761_402_600_123) == .init(year: 2025, month: 10, day: 25, hour: 14, minute: 30,
                                                              second: 0, millisecond: 123))
        #expect(Timestamp.parse("2026-02-02T12:00:00.000Z") == 1_770_033_600_000)
        #expect(Timestamp.parse("2026-02-02T14:00:00+02:00") == 1_770_033_600_000)
        #expect(Timestamp.parse("yesterday") == nil)
    }
}
