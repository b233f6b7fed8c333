using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Pulse.Runtime.Postgres;

/// <summary>Options of <see cref="PostgresGrainStorage"/>.</summary>
public sealed class PostgresGrainStorageOptions
{
    /// <summary>Default <see cref="SchemaName"/>: <c>pulse</c>.</summary>
    public const string DefaultSchemaName = "pulse";

    /// <summary>Default <see cref="CommandTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest <see cref="CommandTimeout"/> accepted: 10 minutes.</summary>
    public static readonly TimeSpan MaxCommandTimeout = TimeSpan.FromMinutes(10);

    /// <summary>An Npgsql connection string. Required; no default.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The schema that holds <c>grain_state</c> and <c>schema_version</c>; created if missing. A lower-case
    /// SQL identifier (letters, digits, underscores). Default <c>pulse</c>.
    /// </summary>
    public string SchemaName { get; set; } = DefaultSchemaName;

    /// <summary>How long one command may run before it is cancelled. Whole seconds; default 30 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = DefaultCommandTimeout;
}

/// <summary>Validates <see cref="PostgresGrainStorageOptions"/> at silo start.</summary>
public sealed partial class PostgresGrainStorageOptionsValidator : IValidateOptions<PostgresGrainStorageOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PostgresGrainStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string prefix = $"Pulse:Storage:Postgres:{name}";
        List<string> failures = [];
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{prefix}: ConnectionString is required.");
        }
        else
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException exception)
            {
                // The driver's message names the bad keyword; the connection string may hold a password.
                failures.Add($"{prefix}: ConnectionString is invalid: {exception.Message}");
            }
        }

        // The schema name is spliced into SQL (identifiers cannot be parameters), so only a plain
        // identifier is accepted.
        if (options.SchemaName is null || !SchemaNamePattern().IsMatch(options.SchemaName))
        {
            failures.Add($"{prefix}: SchemaName must be a lower-case identifier of at most 63 characters (a-z, 0-9, _; not starting with a digit).");
        }

        if (options.CommandTimeout < TimeSpan.FromSeconds(1) || options.CommandTimeout > PostgresGrainStorageOptions.MaxCommandTimeout)
        {
            failures.Add($"{prefix}: CommandTimeout must be at least 1 second and at most {PostgresGrainStorageOptions.MaxCommandTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    internal static partial Regex SchemaNamePattern();
}
