/** Sign in with an API token (SPEC §9). A token the API refuses is not kept; its message is shown. */
import { useState } from 'preact/hooks';
import type { DomainInfo } from '../../../provider/domain/types';
import { call, session } from '../api';
import { Failure } from '../ui';

export function SignIn(props: { onSignedIn: (d: DomainInfo) => void; /** Why the last session ended (the API's message). */ ended?: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const d = await call<DomainInfo>('GET', '/v1/domain', { token: token.trim() });
      session.signIn(token.trim());
      setToken('');
      props.onSignedIn(d);
    } catch (err) {
      setError(err);
      document.getElementById('token')?.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to the cloudbilling console</h1>
      {props.ended && (
        <p class="rules warning" role="status">
          You were signed out: {props.ended}
        </p>
      )}
      <form onSubmit={submit} aria-describedby="token-help">
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-invalid={error ? 'true' : undefined}
        />
        <p id="token-help" class="help">
          The admin token printed by <code>cloudbilling serve</code>, or a user's token from <code>POST /v1/users</code>. It is kept for this
          tab only and forgotten when you close it or sign out.
        </p>
        <Failure error={error} title="The API refused this token:" />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
