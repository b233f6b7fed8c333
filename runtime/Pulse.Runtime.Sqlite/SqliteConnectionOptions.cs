using Microsoft.Data.Sqlite;

namespace Pulse.Runtime.Sqlite;

/// <summary>
/// Where a SQLite component keeps its data. Set exactly one of <see cref="ConnectionString"/> and
/// <see cref="DataSource"/>; grain storage and membership may share one file.
/// </summary>
public abstract class SqliteConnectionOptions
{
    /// <summary>Default <see cref="BusyTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The longest <see cref="BusyTimeout"/> accepted: 10 minutes.</summary>
    public static readonly TimeSpan MaxBusyTimeout = TimeSpan.FromMinutes(10);

    /// <summary>A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=/var/lib/pulse/pulse.db</c>. No default.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The path of the database file; created with its folder if missing. No default.</summary>
    public string? DataSource { get; set; }

    /// <summary>
    /// How long a command waits for another connection's write lock before it fails (SQLite allows one
    /// writer at a time; silos on one host share the file). Also the command timeout. Default 5 s.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = DefaultBusyTimeout;

    /// <summary>
    /// Adds a failure for each unusable setting, prefixed with <paramref name="prefix"/>;
    /// <paramref name="inMemoryAlternative"/> names what to use instead of <c>:memory:</c>.
    /// </summary>
    internal void Validate(string prefix, string inMemoryAlternative, List<string> failures)
    {
        bool hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        bool hasDataSource = !string.IsNullOrWhiteSpace(DataSource);
        if (hasConnectionString == hasDataSource)
        {
            failures.Add($"{prefix}: set exactly one of ConnectionString and DataSource.");
        }
        else
        {
            string? dataSource = DataSource;
            bool parsed = true;
            if (hasConnectionString)
            {
                try
                {
                    dataSource = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
                }
                catch (ArgumentException exception)
                {
                    // The message names the bad keyword; the connection string itself may hold a password.
                    failures.Add($"{prefix}: ConnectionString is invalid: {exception.Message}");
                    parsed = false;
                }
            }

            if (parsed && string.IsNullOrWhiteSpace(dataSource))
            {
                failures.Add($"{prefix}: the connection string names no Data Source.");
            }
            else if (string.Equals(dataSource, ":memory:", StringComparison.Ordinal))
            {
                failures.Add($"{prefix}: a private in-memory SQLite database is lost when its connection closes; use {inMemoryAlternative} instead.");
            }
        }

        if (BusyTimeout <= TimeSpan.Zero || BusyTimeout > MaxBusyTimeout)
        {
            failures.Add($"{prefix}: BusyTimeout must be more than zero and at most {MaxBusyTimeout}.");
        }
    }
}
