using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Json;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Caching;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.Caching;

// mget and mset: one grain call per distinct key, all in flight at once, so a batch takes about one
// round trip rather than one per key.
internal static partial class CacheEndpoints
{
    // Flush the streamed mget answer to the client whenever this much is buffered.
    private const int MgetFlushBytes = 64 * 1024;

    private static async Task<IResult> MgetAsync(HttpContext context, IGrainFactory grains)
    {
        JsonBody<CacheMgetRequest> body = await JsonBodyReader.ReadAsync(context, CacheJsonContext.Default.CacheMgetRequest).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        List<string?>? keys = body.Value!.Keys;
        var errors = new ValidationErrors();
        if (keys is null || keys.Count == 0 || keys.Count > CacheLimits.MaxBatchKeys)
        {
            return ApiResults.InvalidField("keys", $"must hold 1 to {CacheLimits.MaxBatchKeys} keys; got {keys?.Count ?? 0}");
        }

        // A key named twice is read once and answered once, in first-seen order.
        var distinct = new List<string>(keys.Count);
        var seen = new HashSet<string>(keys.Count, StringComparer.Ordinal);
        for (int i = 0; i < keys.Count; i++)
        {
            // The field name is formatted only for a bad key: mget is a hot path.
            if (CacheLimits.ValidateKey(keys[i]) is not null)
            {
                CacheInput.Key($"keys[{i}]", keys[i], errors);
            }
            else if (seen.Add(keys[i]!))
            {
                distinct.Add(keys[i]!);
            }
        }

        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        string tenantId = context.GetTenant().TenantId;
        var reads = new ValueTask<CacheGetResult>[distinct.Count];
        for (int i = 0; i < reads.Length; i++)
        {
            reads[i] = Entry(grains, tenantId, distinct[i]).GetAsync(0);
        }

        var results = new CacheGetResult[reads.Length];
        for (int i = 0; i < reads.Length; i++)
        {
            results[i] = await reads[i].ConfigureAwait(false);
        }

        return new MgetResult(distinct, results);
    }

    private static async Task<IResult> MsetAsync(HttpContext context, IGrainFactory grains, IOptions<CacheApiOptions> options)
    {
        JsonBody<CacheMsetRequest> body = await JsonBodyReader.ReadAsync(context, CacheJsonContext.Default.CacheMsetRequest).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        List<CacheMsetEntry?>? entries = body.Value!.Entries;
        if (entries is null || entries.Count == 0 || entries.Count > CacheLimits.MaxBatchKeys)
        {
            return ApiResults.InvalidField("entries", $"must hold 1 to {CacheLimits.MaxBatchKeys} entries; got {entries?.Count ?? 0}");
        }

        // Every entry is checked before anything is written: a bad batch changes nothing.
        int maxValueBytes = options.Value.MaxValueBytes;
        var errors = new ValidationErrors();
        string? tooLarge = null;
        var puts = new CachePut?[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            string prefix = $"entries[{i}].";
            if (entries[i] is not { } entry)
            {
                errors.Add($"entries[{i}]", "must be an object with a key and a value");
                continue;
            }

            CacheInput.Key(prefix + "key", entry.Key, errors);
            CacheEntryOptions? entryOptions = CacheInput.FromJson(prefix, entry, errors);
            if (entry.Value.ValueKind == JsonValueKind.Undefined)
            {
                errors.Add(prefix + "value", "is required (any JSON value, null included)");
                continue;
            }

            // The value's bytes as they were in the body; the body parser has validated them as JSON.
            ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(entry.Value);
            if (raw.Length > maxValueBytes)
            {
                tooLarge ??= prefix + "value";
                continue;
            }

            if (entryOptions is not null)
            {
                puts[i] = new CachePut(raw.ToArray(), entryOptions);
            }
        }

        if (tooLarge is not null)
        {
            return ValueTooLarge(options.Value, tooLarge);
        }

        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        // Entries of one key are written in order by one task, so the last one wins as it would one by one;
        // different keys are written concurrently.
        var byKey = new Dictionary<string, List<int>>(entries.Count, StringComparer.Ordinal);
        for (int i = 0; i < entries.Count; i++)
        {
            string key = entries[i]!.Key!;
            if (!byKey.TryGetValue(key, out List<int>? indices))
            {
                byKey[key] = indices = new List<int>(1);
            }

            indices.Add(i);
        }

        string tenantId = context.GetTenant().TenantId;
        var results = new CachePutResult[entries.Count];
        var writes = new List<Task>(byKey.Count);
        foreach ((string key, List<int> indices) in byKey)
        {
            writes.Add(WriteInOrderAsync(Entry(grains, tenantId, key), indices, puts, results));
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
        var response = new CacheMsetResponse { Results = new List<CacheMsetResult>(results.Length) };
        for (int i = 0; i < results.Length; i++)
        {
            response.Results.Add(new CacheMsetResult { Key = entries[i]!.Key!, Status = ToWireName(results[i].Status), ETag = results[i].ETag });
        }

        return ApiResults.Json(response, CacheJsonContext.Default.CacheMsetResponse);
    }

    private static async Task WriteInOrderAsync(ICacheEntryGrain entry, List<int> indices, CachePut?[] puts, CachePutResult[] results)
    {
        foreach (int i in indices)
        {
            results[i] = await entry.PutAsync(puts[i]!).ConfigureAwait(false);
        }
    }

    private static string ToWireName(CachePutStatus status) => status switch
    {
        CachePutStatus.Created => "created",
        CachePutStatus.Replaced => "replaced",
        CachePutStatus.InsufficientStorage => "insufficient_storage",
        CachePutStatus.PreconditionFailed => "precondition_failed",
        CachePutStatus.LeaseLost => "lease_lost",
        _ => status.ToString(),
    };

    /// <summary>
    /// The mget answer, streamed: each value is copied into the response as stored, without parsing it
    /// again (values were validated when written), and flushed as it goes, so a batch of large values is
    /// never held whole in a second buffer.
    /// </summary>
    private sealed class MgetResult(List<string> keys, CacheGetResult[] results) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => StatusCodes.Status200OK;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            HttpResponse response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = CacheHttp.JsonContentType;
            PipeWriter pipe = response.BodyWriter;
            CancellationToken aborted = httpContext.RequestAborted;
            await using var writer = new Utf8JsonWriter(pipe);
            writer.WriteStartObject();
            writer.WriteStartObject("found");
            for (int i = 0; i < keys.Count; i++)
            {
                if (results[i].Value is { } value)
                {
                    writer.WritePropertyName(keys[i]);
                    writer.WriteRawValue(value, skipInputValidation: true);
                    if (writer.BytesPending >= MgetFlushBytes)
                    {
                        // The writer only advances the pipe; the pipe's own flush sends the bytes.
                        writer.Flush();
                        await pipe.FlushAsync(aborted).ConfigureAwait(false);
                    }
                }
            }

            writer.WriteEndObject();
            writer.WriteStartArray("missing");
            for (int i = 0; i < keys.Count; i++)
            {
                if (results[i].Value is null)
                {
                    writer.WriteStringValue(keys[i]);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
            await pipe.FlushAsync(aborted).ConfigureAwait(false);
        }
    }
}
