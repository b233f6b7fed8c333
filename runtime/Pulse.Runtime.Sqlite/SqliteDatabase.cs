using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pulse.Runtime.Sqlite;

/// <summary>
/// How a SQLite component connects: a pooled connection string with the command timeout, and the busy
/// timeout applied to each opened connection (a per-connection setting in SQLite).
/// </summary>
internal sealed class SqliteDatabase
{
    private readonly string _busyTimeoutPragma;

    public SqliteDatabase(SqliteConnectionOptions options)
    {
        SqliteConnectionStringBuilder builder = options.ConnectionString is { Length: > 0 } connectionString
            ? new SqliteConnectionStringBuilder(connectionString)
            : new SqliteConnectionStringBuilder { DataSource = options.DataSource };
        builder.Pooling = true;
        builder.DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds);
        ConnectionString = builder.ConnectionString;
        DataSource = builder.DataSource;

        // PRAGMA takes no parameters; the value is a validated integer, not user text.
        _busyTimeoutPragma = "PRAGMA busy_timeout = " +
            ((int)options.BusyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The pooled connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>The database file (for logs and for creating its folder).</summary>
    public string DataSource { get; }

    /// <summary>Opens a pooled connection with the busy timeout set.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = _busyTimeoutPragma;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
