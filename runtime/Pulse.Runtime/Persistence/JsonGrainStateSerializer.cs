using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;

namespace Pulse.Runtime.Persistence;

/// <summary>Options of <see cref="JsonGrainStateSerializer"/>.</summary>
public sealed class GrainStateSerializerOptions
{
    /// <summary>
    /// The JSON options. Add source-generated contexts to <see cref="JsonSerializerOptions.TypeInfoResolverChain"/>
    /// for hot state types; reflection-based metadata is the fallback.
    /// </summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = CreateDefaultJsonOptions();

    /// <summary>The defaults: camelCase, fields included, reflection fallback.</summary>
    public static JsonSerializerOptions CreateDefaultJsonOptions() => new(JsonSerializerDefaults.Web)
    {
        IncludeFields = true,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };
}

/// <summary>System.Text.Json implementation of <see cref="IGrainStateSerializer"/>.</summary>
public sealed class JsonGrainStateSerializer : IGrainStateSerializer
{
    private readonly JsonSerializerOptions _options;

    /// <summary>Creates the serializer.</summary>
    public JsonGrainStateSerializer(IOptions<GrainStateSerializerOptions> options)
    {
        _options = options.Value.JsonSerializerOptions;
        _options.MakeReadOnly(populateMissingResolver: true);
    }

    /// <inheritdoc />
    public byte[] Serialize<TState>(TState state) => JsonSerializer.SerializeToUtf8Bytes(state, _options);

    /// <inheritdoc />
    public TState Deserialize<TState>(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize<TState>(utf8Json, _options) ?? GrainStateDefaults.Create<TState>();
}
