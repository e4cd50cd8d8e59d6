package token

import "crypto"

// Signer returns the parsed private key of k, for libraries that sign with
// a crypto.Signer (the OpenID Provider's ID tokens).
func (c *KeyCache) Signer(k Key) (crypto.Signer, error) {
	p, err := c.get(k)
	if err != nil {
		return nil, err
	}
	return p.priv, nil
}

// Public returns the public key of k.
func (c *KeyCache) Public(k Key) (crypto.PublicKey, error) {
	p, err := c.get(k)
	if err != nil {
		return nil, err
	}
	return p.pub, nil
}
