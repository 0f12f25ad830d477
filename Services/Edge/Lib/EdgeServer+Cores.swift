import Foundation
import NIOCore

extension EdgeServer {
    /// The default number of event loops: the cores this process may run on.
    ///
    /// That is its CPU affinity mask (which `taskset` and container CPU sets lower), capped by
    /// NIO's `System.coreCount` (which reads the cgroup's CPU quota). `System.coreCount` alone
    /// ignores the mask: an edge pinned to one core of two would run two loops on that core,
    /// which measured costlier than one (docs/edge.md, "How many loops"). Where the mask cannot
    /// be read, `System.coreCount` is the answer.
    static var defaultLoops: Int {
        let quota = System.coreCount
        guard let allowed = affinityCores else { return quota }
        return max(1, min(allowed, quota))
    }

    /// How many CPUs the calling thread may run on (at start, the process's mask), from
    /// `/proc/thread-self/status`; `nil` where there is no such file (not Linux).
    static var affinityCores: Int? {
        guard let status = try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8) else { return nil }
        return affinityCores(inStatus: status)
    }

    /// The CPUs a `/proc/.../status` text's `Cpus_allowed` line allows (a hexadecimal mask in
    /// groups of 32 bits, comma-separated); `nil` when it has no such line, or it is unreadable.
    static func affinityCores(inStatus status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else {
            return nil
        }
        var count = 0
        for character in line.dropFirst("Cpus_allowed:".count) where character != "," && !character.isWhitespace {
            guard let digit = character.hexDigitValue else { return nil }
            count += digit.nonzeroBitCount
        }
        return count > 0 ? count : nil
    }
}
