import Foundation

/// One row of the summary table of `switchboard-bench socketio`: one scenario against one build.
/// A run appends it to the `--summary` file as one JSON line; `switchboard-bench summary` prints
/// the rows of such files as one table.
struct SummaryRow: Codable, Sendable {
    /// Which build of the servers ran (`deploy/bench` uses the binaries' directory), or empty.
    var build: String
    /// What was measured, e.g. `echo ack, 100 clients`.
    var scenario: String
    /// What one operation is: `round trip`, `delivery`, `frame` or `connection`.
    var operation: String
    /// Operations counted in the measured window.
    var operations: Int
    /// Operations per second over the measured window.
    var perSecond: Double
    /// Median latency of an operation in microseconds; `nil` when none is measured.
    var p50Us: Int?
    /// 99th percentile latency in microseconds; `nil` when none is measured.
    var p99Us: Int?
    /// Server CPU (user + system, every server process) per operation, in microseconds.
    var cpuUsPerOperation: Double?
    /// Voluntary context switches of every server thread per operation.
    var switchesPerOperation: Double?
    /// Server resident memory grown per connection, in bytes (idle runs only).
    var bytesPerConnection: Int?
    /// Operations that failed: error acks, unanswered events, connections that never opened.
    var errors: Int

    /// The column titles, with or without the build column.
    private static func titles(withBuild: Bool) -> [String] {
        (withBuild ? ["build"] : []) + ["scenario", "throughput", "p50", "p99", "server CPU µs/op", "ctx switches/op",
                                        "KB/conn", "errors"]
    }

    /// The cells of this row, in the order of ``titles(withBuild:)``.
    private func cells(withBuild: Bool) -> [String] {
        let latency = { (microseconds: Int?) in microseconds.map(Self.duration) ?? "-" }
        return (withBuild ? [build] : []) + [
            scenario,
            Self.grouped(perSecond) + " \(operation == "delivery" ? "deliveries" : operation + "s")/s",
            latency(p50Us), latency(p99Us),
            cpuUsPerOperation.map { String(format: $0 < 100 ? "%.1f" : "%.0f", $0) } ?? "-",
            switchesPerOperation.map { String(format: "%.2f", $0) } ?? "-",
            bytesPerConnection.map { String(format: "%.1f", Double($0) / 1000) } ?? "-",
            String(errors),
        ]
    }

    /// `rows` as one aligned text table; the build column only when some row names a build.
    static func table(_ rows: [SummaryRow]) -> String {
        let withBuild = rows.contains { !$0.build.isEmpty }
        let lines = [titles(withBuild: withBuild)] + rows.map { $0.cells(withBuild: withBuild) }
        let widths = lines[0].indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { cells in
            cells.indices.map { column in
                column < (withBuild ? 2 : 1)
                    ? cells[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : cells[column].leftPadded(widths[column])
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `rows` as one Markdown table (for docs/benchmarks.md).
    static func markdown(_ rows: [SummaryRow]) -> String {
        let withBuild = rows.contains { !$0.build.isEmpty }
        let titles = titles(withBuild: withBuild)
        let align = titles.indices.map { $0 < (withBuild ? 2 : 1) ? "---" : "---:" }
        return ([titles, align] + rows.map { $0.cells(withBuild: withBuild) })
            .map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n")
    }

    /// The row as one line of JSON.
    var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Appends the row to `file` as one JSON line, creating the file if needed.
    func append(to file: String) throws {
        if !FileManager.default.fileExists(atPath: file) {
            guard FileManager.default.createFile(atPath: file, contents: nil) else {
                throw EdgeBenchFailure(description: "cannot create \(file)")
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((jsonLine + "\n").utf8))
    }

    /// Every row of a file of JSON lines (empty lines skipped).
    static func read(from file: String) throws -> [SummaryRow] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw EdgeBenchFailure(description: "cannot read \(file)")
        }
        return try text.split(separator: "\n").filter { !$0.isEmpty }.map { line in
            try JSONDecoder().decode(SummaryRow.self, from: Data(line.utf8))
        }
    }

    /// One row per build and scenario, in the order they first appear, with the median of
    /// every figure of its rows (the upper one of an even count) and the most errors.
    static func medians(_ rows: [SummaryRow]) -> [SummaryRow] {
        var groups: [[SummaryRow]] = []
        for row in rows {
            if let index = groups.firstIndex(where: { $0[0].build == row.build && $0[0].scenario == row.scenario }) {
                groups[index].append(row)
            } else {
                groups.append([row])
            }
        }
        func middle<T: Comparable>(_ values: [T?]) -> T? {
            let present = values.compactMap { $0 }.sorted()
            return present.isEmpty ? nil : present[present.count / 2]
        }
        return groups.map { group in
            var row = group[0]
            row.operations = middle(group.map(\.operations)) ?? row.operations
            row.perSecond = middle(group.map(\.perSecond)) ?? row.perSecond
            row.p50Us = middle(group.map(\.p50Us))
            row.p99Us = middle(group.map(\.p99Us))
            row.cpuUsPerOperation = middle(group.map(\.cpuUsPerOperation))
            row.switchesPerOperation = middle(group.map(\.switchesPerOperation))
            row.bytesPerConnection = middle(group.map(\.bytesPerConnection))
            row.errors = group.map(\.errors).max() ?? row.errors
            return row
        }
    }

    /// `1234567` → `1,234,567` (rounded to a whole number).
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var groups: [Substring] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(digits[start..<end], at: 0)
            end = start
        }
        return groups.joined(separator: ",")
    }

    /// Microseconds as `850 µs` or `12.3 ms`.
    static func duration(_ microseconds: Int) -> String {
        microseconds < 10_000 ? "\(microseconds) µs" : String(format: "%.1f ms", Double(microseconds) / 1000)
    }
}
