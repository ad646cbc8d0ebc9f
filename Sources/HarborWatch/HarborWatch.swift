/// harborwatch: reads Harbor registry logs and reports failed pushes, missed pulls and replication trouble.
public enum HarborWatch {
    /// The version printed by `harborwatch --version`.
    public static let version = "0.1.0"
}
