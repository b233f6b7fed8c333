using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Pulse.Runtime;
using Pulse.Runtime.Storage;
using Pulse.Runtime.Testing;

namespace Pulse.Gateway.Tests;

/// <summary>Reads grain state straight from the silo's storage provider, as it is persisted.</summary>
public static class StoredState
{
    public static async Task<string> ReadTenantJsonAsync(TestSilo silo, string tenantId)
    {
        IGrainStorage storage = silo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var state = new RawState();
        await storage.ReadStateAsync("tenant", GrainId.Create("pulse.tenant", tenantId), state, CancellationToken.None);
        Assert.True(state.RecordExists, $"tenant {tenantId} has a stored record");
        // Relaxed escaping, so base64 '+' stays '+' and the test can search for the hash as text.
        return state.State.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private sealed class RawState : IGrainState<JsonObject>
    {
        public JsonObject State { get; set; } = new();

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
