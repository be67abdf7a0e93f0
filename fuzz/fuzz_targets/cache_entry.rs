//! Read arbitrary bytes as a call-cache entry (what a shared disk folder or Redis may hold). A
//! panic is a failure; so is a value read from bytes that do not carry the key's checksum, and a
//! value that does not read back the same after writing it again.
#![no_main]

use asterism::cache::codec::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = [7u8; 32];
    if let Some((value, ttl)) = decode(&key, data, 0) {
        // Only sound entries read: the same value writes back to the same bytes.
        let expires = u64::try_from(ttl.as_millis()).unwrap();
        let again = encode(&key, &value, expires).expect("a value read is never too deep to write");
        assert_eq!(again, data, "an entry reads as a value only when it is exactly what encode writes");
    }
});
