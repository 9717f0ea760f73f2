//! Password hashing with bounded memory. argon2id needs 19 MiB of working memory a hash; made
//! fresh each time on whichever blocking thread runs it, those blocks stay in that thread's
//! allocator arena, and a burst of failed sign-ins took the server from 200 MB to 900 MB
//! (security review, load test). Here at most `permits` hashes run at once, and each reuses
//! one of `permits` working buffers that live as long as the server.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::Mutex;
use tokio::sync::Semaphore;

/// The largest working memory a stored hash may ask for (KiB): anything bigger is refused
/// rather than allocated.
const MAX_MEMORY_KIB: u32 = 64 * 1024;

pub struct Hasher {
    /// Held by the blocking task itself, so a request that goes away mid-hash (its future
    /// dropped) does not free a permit while its hash still runs.
    permits: std::sync::Arc<Semaphore>,
    buffers: Mutex<Vec<Vec<Block>>>,
    /// Working buffers ever made, and the most hashes that have run at once (for tests).
    made: std::sync::atomic::AtomicUsize,
    running: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
}

impl Hasher {
    pub fn new(permits: usize) -> Hasher {
        Hasher {
            permits: std::sync::Arc::new(Semaphore::new(permits.max(1))),
            buffers: Mutex::new(Vec::new()),
            made: Default::default(),
            running: Default::default(),
            peak: Default::default(),
        }
    }

    fn take_buffer(&self, blocks: usize) -> Vec<Block> {
        let mut pool = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        match pool.iter().position(|b| b.len() == blocks) {
            Some(i) => pool.swap_remove(i),
            None => {
                self.made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                vec![Block::default(); blocks]
            }
        }
    }

    fn give_back(&self, buffer: Vec<Block>) {
        let mut pool = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < self.permits.available_permits() + 4 {
            pool.push(buffer);
        }
    }

    /// The argon2 hash of `password` with `params` and `salt` into `out`, in a reused buffer.
    fn hash_into(
        &self,
        params: Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), String> {
        if params.m_cost() > MAX_MEMORY_KIB {
            return Err(format!(
                "a password hash asks for {} KiB of memory",
                params.m_cost()
            ));
        }
        use std::sync::atomic::Ordering::SeqCst;
        let now_running = self.running.fetch_add(1, SeqCst) + 1;
        self.peak.fetch_max(now_running, SeqCst);
        let mut buffer = self.take_buffer(params.block_count());
        let r = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into_with_memory(password, salt, out, &mut buffer)
            .map_err(|e| e.to_string());
        self.give_back(buffer);
        self.running.fetch_sub(1, SeqCst);
        r
    }

    /// A turn to hash, owned so the blocking task can hold it until its hash ends.
    async fn permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, String> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())
    }

    /// A new PHC-format argon2id hash of `password` (OWASP's parameters, argon2's defaults).
    pub async fn hash(self: &std::sync::Arc<Self>, password: &str) -> Result<String, String> {
        let permit = self.permit().await?;
        let me = self.clone();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let salt = SaltString::generate(&mut OsRng);
            let mut salt_bytes = [0u8; 64];
            let raw = salt
                .decode_b64(&mut salt_bytes)
                .map_err(|e| e.to_string())?;
            let params = Params::default();
            let mut out = vec![0u8; Params::DEFAULT_OUTPUT_LEN];
            me.hash_into(params.clone(), password.as_bytes(), raw, &mut out)?;
            let output = argon2::password_hash::Output::new(&out).map_err(|e| e.to_string())?;
            let phc = PasswordHash {
                algorithm: argon2::ARGON2ID_IDENT,
                version: Some(Version::V0x13.into()),
                params: params
                    .try_into()
                    .map_err(|e: argon2::password_hash::Error| e.to_string())?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            };
            Ok(phc.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Whether `password` matches the PHC-format `hash` (compared in constant time).
    pub async fn verify(
        self: &std::sync::Arc<Self>,
        password: &str,
        hash: &str,
    ) -> Result<bool, String> {
        let permit = self.permit().await?;
        let me = self.clone();
        let password = password.to_string();
        let hash = hash.to_string();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return Ok(false);
            };
            if parsed.algorithm != argon2::ARGON2ID_IDENT {
                // Any other algorithm: the library's own check, which allocates as it needs.
                return Ok(argon2::PasswordVerifier::verify_password(
                    &Argon2::default(),
                    password.as_bytes(),
                    &parsed,
                )
                .is_ok());
            }
            let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
                return Ok(false);
            };
            let params = Params::try_from(&parsed).map_err(|e| e.to_string())?;
            let mut salt_bytes = [0u8; 64];
            let raw = salt
                .decode_b64(&mut salt_bytes)
                .map_err(|e| e.to_string())?;
            let mut out = vec![0u8; expected.len()];
            me.hash_into(params, password.as_bytes(), raw, &mut out)?;
            // Output's equality is constant-time.
            Ok(argon2::password_hash::Output::new(&out)
                .map(|o| o == expected)
                .unwrap_or(false))
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;
    use std::sync::Arc;

    #[tokio::test]
    async fn hashes_verify_with_the_library_and_reuse_their_memory() {
        let h = Arc::new(Hasher::new(2));
        let phc = h.hash("kettle piano harbour").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        // The library agrees with our hash, and we agree with the library's.
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(argon2::PasswordVerifier::verify_password(
            &Argon2::default(),
            b"kettle piano harbour",
            &parsed
        )
        .is_ok());
        let theirs = Argon2::default()
            .hash_password(b"lantern", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(h.verify("lantern", &theirs).await.unwrap());
        assert!(!h.verify("lanterns", &theirs).await.unwrap());
        assert!(!h.verify("x", "not a hash").await.unwrap());
        // Twenty checks at once use no more than two buffers.
        let mut all = Vec::new();
        for _ in 0..20 {
            let h = h.clone();
            let phc = phc.clone();
            all.push(tokio::spawn(async move {
                h.verify("wrong", &phc).await.unwrap()
            }));
        }
        for t in all {
            assert!(!t.await.unwrap());
        }
        use std::sync::atomic::Ordering::SeqCst;
        assert_eq!(h.peak.load(SeqCst), 2, "two hashes at most at once");
        assert!(
            h.made.load(SeqCst) <= 2,
            "{} buffers made",
            h.made.load(SeqCst)
        );
        // A stored hash that asks for a gigabyte is refused, not allocated.
        let greedy = "$argon2id$v=19$m=1048576,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8mV2h0e5pC4S0e0JrX6q3n3k2lq1D0B7x2yWq0bG8Lc";
        assert!(h.verify("x", greedy).await.is_err());
    }

    // Review finding: the permit was held by the request's future, so a request that went away
    // mid-hash (a client disconnecting) freed it while its hash still ran, and a flood of
    // abandoned sign-ins could run any number of hashes at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_request_keeps_its_permit_until_its_hash_ends() {
        use std::sync::atomic::Ordering::SeqCst;
        let h = Arc::new(Hasher::new(1));
        let phc = h.hash("kettle piano harbour").await.unwrap();
        for _ in 0..8 {
            // Each is given up almost at once, long before its hash can end.
            let _ =
                tokio::time::timeout(std::time::Duration::from_millis(2), h.verify("wrong", &phc))
                    .await;
        }
        assert!(h.verify("kettle piano harbour", &phc).await.unwrap());
        assert_eq!(h.peak.load(SeqCst), 1, "never more than one hash at once");
        assert_eq!(h.made.load(SeqCst), 1);
    }
}
