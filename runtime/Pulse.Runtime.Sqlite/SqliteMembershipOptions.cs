using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Sqlite;

/// <summary>
/// Options of <see cref="SqliteMembershipTable"/>. Set exactly one of <see cref="ConnectionString"/>
/// and <see cref="DataSource"/>; the file may be the one grain storage uses.
/// </summary>
public sealed class SqliteMembershipOptions
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
    /// How long a command waits for another connection's write lock before it fails (the silos of one
    /// host share the file, and SQLite has one writer at a time). Also the command timeout. Default 5 s.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = DefaultBusyTimeout;
}

/// <summary>Validates <see cref="SqliteMembershipOptions"/> at start.</summary>
public sealed class SqliteMembershipOptionsValidator : IValidateOptions<SqliteMembershipOptions>
{
    private const string Prefix = "Pulse:Membership:Sqlite";

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SqliteMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        bool hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        bool hasDataSource = !string.IsNullOrWhiteSpace(options.DataSource);
        if (hasConnectionString == hasDataSource)
        {
            failures.Add($"{Prefix}: set exactly one of ConnectionString and DataSource.");
        }
        else
        {
            string? dataSource = options.DataSource;
            if (hasConnectionString)
            {
                try
                {
                    dataSource = new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
                }
                catch (ArgumentException exception)
                {
                    // The message names the bad keyword; the connection string itself may hold a password.
                    failures.Add($"{Prefix}: ConnectionString is invalid: {exception.Message}");
                }
            }

            if (failures.Count == 0 && string.IsNullOrWhiteSpace(dataSource))
            {
                failures.Add($"{Prefix}: the connection string names no Data Source.");
            }
            else if (string.Equals(dataSource, ":memory:", StringComparison.Ordinal))
            {
                failures.Add($"{Prefix}: a private in-memory SQLite database is lost when its connection closes and no other silo sees it; use UseInMemoryMembership instead.");
            }
        }

        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout > SqliteMembershipOptions.MaxBusyTimeout)
        {
            failures.Add($"{Prefix}: BusyTimeout must be more than zero and at most {SqliteMembershipOptions.MaxBusyTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
