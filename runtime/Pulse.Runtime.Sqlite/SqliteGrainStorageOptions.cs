using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Sqlite;

/// <summary>Options of <see cref="SqliteGrainStorage"/>. Set exactly one of <see cref="ConnectionString"/> and <see cref="DataSource"/>.</summary>
public sealed class SqliteGrainStorageOptions
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
}

/// <summary>Validates <see cref="SqliteGrainStorageOptions"/> at silo start.</summary>
public sealed class SqliteGrainStorageOptionsValidator : IValidateOptions<SqliteGrainStorageOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SqliteGrainStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string prefix = $"Pulse:Storage:Sqlite:{name}";
        List<string> failures = [];
        bool hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        bool hasDataSource = !string.IsNullOrWhiteSpace(options.DataSource);
        if (hasConnectionString == hasDataSource)
        {
            failures.Add($"{prefix}: set exactly one of ConnectionString and DataSource.");
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
                    failures.Add($"{prefix}: ConnectionString is invalid: {exception.Message}");
                }
            }

            if (failures.Count == 0 && string.IsNullOrWhiteSpace(dataSource))
            {
                failures.Add($"{prefix}: the connection string names no Data Source.");
            }
            else if (string.Equals(dataSource, ":memory:", StringComparison.Ordinal))
            {
                failures.Add($"{prefix}: a private in-memory SQLite database is lost when its connection closes; use AddMemoryGrainStorage instead.");
            }
        }

        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout > SqliteGrainStorageOptions.MaxBusyTimeout)
        {
            failures.Add($"{prefix}: BusyTimeout must be more than zero and at most {SqliteGrainStorageOptions.MaxBusyTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
