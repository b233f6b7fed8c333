using System.Globalization;
using System.Text.Json;

namespace Pulse.Runtime.Membership;

/// <summary>
/// The storage rules every Pulse membership table shares (memory, SQLite, PostgreSQL), so that the
/// three behave alike: row ETags are integers in invariant form starting at <see cref="FirstRowEtag"/>,
/// times are UTC with whole microseconds (what PostgreSQL's <c>timestamptz</c> keeps), statuses are
/// stored by name, and suspicions are a JSON array operators can query.
/// </summary>
public static class MembershipTableFormat
{
    /// <summary>The ETag of a freshly inserted row; each update adds one.</summary>
    public const long FirstRowEtag = 1;

    /// <summary>The fixed-width UTC text form of times (sorts the same as the instants it names).</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    /// <summary>Formats a row ETag.</summary>
    public static string FormatRowEtag(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses a row ETag a Pulse table issued. False for anything else: such an ETag can never match a
    /// stored row, so the update it guards fails like any other stale ETag.
    /// </summary>
    public static bool TryParseRowEtag(string? etag, out long value) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= FirstRowEtag;

    /// <summary>The version row's ETag: the version itself, so a snapshot names its version twice over.</summary>
    public static TableVersion CreateTableVersion(int version) => new(version, version.ToString(CultureInfo.InvariantCulture));

    /// <summary>The instant in UTC, cut to whole microseconds, as every table stores it.</summary>
    public static DateTimeOffset NormalizeTime(DateTimeOffset time)
    {
        long utcTicks = time.UtcTicks;
        return new DateTimeOffset(utcTicks - (utcTicks % TicksPerMicrosecond), TimeSpan.Zero);
    }

    /// <summary>Formats a time as <see cref="TimeFormat"/> after <see cref="NormalizeTime"/>.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        NormalizeTime(time).UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses <see cref="FormatTime"/>.</summary>
    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>The stored name of a status.</summary>
    public static string FormatStatus(SiloStatus status) => status switch
    {
        SiloStatus.Joining => nameof(SiloStatus.Joining),
        SiloStatus.Active => nameof(SiloStatus.Active),
        SiloStatus.ShuttingDown => nameof(SiloStatus.ShuttingDown),
        SiloStatus.Dead => nameof(SiloStatus.Dead),
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Only Joining, Active, ShuttingDown and Dead are stored."),
    };

    /// <summary>Parses <see cref="FormatStatus"/>.</summary>
    /// <exception cref="FormatException">The text names no stored status.</exception>
    public static SiloStatus ParseStatus(string text) => text switch
    {
        nameof(SiloStatus.Joining) => SiloStatus.Joining,
        nameof(SiloStatus.Active) => SiloStatus.Active,
        nameof(SiloStatus.ShuttingDown) => SiloStatus.ShuttingDown,
        nameof(SiloStatus.Dead) => SiloStatus.Dead,
        _ => throw new FormatException($"'{text}' is not a stored silo status."),
    };

    /// <summary>Formats suspicions as <c>[{"suspecter":"10.0.0.1:11111@638…","time":"2025-…Z"}]</c>.</summary>
    public static string FormatSuspicions(IReadOnlyList<SuspectVote> suspicions)
    {
        ArgumentNullException.ThrowIfNull(suspicions);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (SuspectVote vote in suspicions)
            {
                writer.WriteStartObject();
                writer.WriteString("suspecter", vote.Suspecter.ToParsableString());
                writer.WriteString("time", FormatTime(vote.Time));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Parses <see cref="FormatSuspicions"/>.</summary>
    /// <exception cref="FormatException">The text is not such an array.</exception>
    public static IReadOnlyList<SuspectVote> ParseSuspicions(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("Suspicions must be a JSON array.");
            }

            var votes = new SuspectVote[document.RootElement.GetArrayLength()];
            int index = 0;
            foreach (JsonElement vote in document.RootElement.EnumerateArray())
            {
                votes[index++] = new SuspectVote(
                    SiloAddress.Parse(vote.GetProperty("suspecter").GetString() ?? ""),
                    ParseTime(vote.GetProperty("time").GetString() ?? ""));
            }

            return votes;
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"Stored suspicions are not a list of votes: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// A deep copy of <paramref name="entry"/> in stored form: fresh address objects (an
    /// <see cref="System.Net.IPEndPoint"/> is mutable), normalised times and its own suspicion array,
    /// so nothing the caller keeps can change a stored row or a row handed out.
    /// </summary>
    public static MembershipEntry ToStoredForm(MembershipEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var suspicions = new SuspectVote[entry.Suspicions.Count];
        for (int i = 0; i < suspicions.Length; i++)
        {
            SuspectVote vote = entry.Suspicions[i];
            suspicions[i] = new SuspectVote(CopyAddress(vote.Suspecter), NormalizeTime(vote.Time));
        }

        return new MembershipEntry
        {
            Silo = CopyAddress(entry.Silo),
            Status = entry.Status,
            SiloName = entry.SiloName,
            HostName = entry.HostName,
            ClientPort = entry.ClientPort,
            HttpPort = entry.HttpPort,
            StartTime = NormalizeTime(entry.StartTime),
            IAmAliveTime = NormalizeTime(entry.IAmAliveTime),
            Suspicions = suspicions,
        };
    }

    /// <summary>
    /// Checks the arguments of an insert or update: a silo address, a stored status, names, ports in
    /// range, suspicions by real silos, and a version of at least 1 (the first change writes 1).
    /// </summary>
    /// <exception cref="ArgumentException">Something the table cannot store.</exception>
    public static void ValidateWrite(MembershipEntry entry, TableVersion tableVersion)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        if (entry.Silo.IsDefault)
        {
            throw new ArgumentException("The entry names no silo.", nameof(entry));
        }

        if (entry.Status is not (SiloStatus.Joining or SiloStatus.Active or SiloStatus.ShuttingDown or SiloStatus.Dead))
        {
            throw new ArgumentException($"Status {entry.Status} cannot be stored.", nameof(entry));
        }

        if (entry.SiloName is null || entry.HostName is null || entry.Suspicions is null)
        {
            throw new ArgumentException("SiloName, HostName and Suspicions must not be null.", nameof(entry));
        }

        if (entry.ClientPort is < 0 or > 65535 || entry.HttpPort is < 0 or > 65535)
        {
            throw new ArgumentException("ClientPort and HttpPort must be ports (0-65535).", nameof(entry));
        }

        foreach (SuspectVote vote in entry.Suspicions)
        {
            if (vote is null || vote.Suspecter.IsDefault)
            {
                throw new ArgumentException("Every suspicion must name the suspecting silo.", nameof(entry));
            }
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tableVersion.Version, nameof(tableVersion));
    }

    /// <summary>Validates the silo of <see cref="IMembershipTable.UpdateIAmAliveAsync"/>.</summary>
    public static void ValidateSilo(SiloAddress silo)
    {
        if (silo.IsDefault)
        {
            throw new ArgumentException("The silo address must be set.", nameof(silo));
        }
    }

    // Through the text form, as the SQL tables store it, so every provider hands back equal addresses.
    private static SiloAddress CopyAddress(SiloAddress address) => SiloAddress.Parse(address.ToParsableString());
}
