using Microsoft.Extensions.Options;
using Npgsql;

namespace Pulse.Runtime.Postgres;

/// <summary>Options of <see cref="PostgresMembershipTable"/>.</summary>
public sealed class PostgresMembershipOptions
{
    /// <summary>Default <see cref="SchemaName"/>: <c>pulse</c> (the schema grain storage uses by default too).</summary>
    public const string DefaultSchemaName = "pulse";

    /// <summary>Default <see cref="CommandTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest <see cref="CommandTimeout"/> accepted: 10 minutes.</summary>
    public static readonly TimeSpan MaxCommandTimeout = TimeSpan.FromMinutes(10);

    /// <summary>An Npgsql connection string. Required; no default.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The schema that holds <c>membership</c>, <c>membership_version</c> and <c>schema_version</c>;
    /// created if missing. A lower-case SQL identifier (letters, digits, underscores). Default <c>pulse</c>.
    /// </summary>
    public string SchemaName { get; set; } = DefaultSchemaName;

    /// <summary>How long one command may run before it is cancelled. Whole seconds; default 30 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = DefaultCommandTimeout;
}

/// <summary>Validates <see cref="PostgresMembershipOptions"/> at start.</summary>
public sealed class PostgresMembershipOptionsValidator : IValidateOptions<PostgresMembershipOptions>
{
    private const string Prefix = "Pulse:Membership:Postgres";

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PostgresMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{Prefix}: ConnectionString is required.");
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
                failures.Add($"{Prefix}: ConnectionString is invalid: {exception.Message}");
            }
        }

        // The schema name is spliced into SQL (identifiers cannot be parameters), so only a plain
        // identifier is accepted.
        if (options.SchemaName is null || !PostgresGrainStorageOptionsValidator.SchemaNamePattern().IsMatch(options.SchemaName))
        {
            failures.Add($"{Prefix}: SchemaName must be a lower-case identifier of at most 63 characters (a-z, 0-9, _; not starting with a digit).");
        }

        if (options.CommandTimeout < TimeSpan.FromSeconds(1) || options.CommandTimeout > PostgresMembershipOptions.MaxCommandTimeout)
        {
            failures.Add($"{Prefix}: CommandTimeout must be at least 1 second and at most {PostgresMembershipOptions.MaxCommandTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
