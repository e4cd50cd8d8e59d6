<?php
// Writes "password-hex hash" lines for genformats.py: WordPress 6.8's
// wp_hash_password() code path (bcrypt by default) and Drupal 7's
// user_hash_password() ($S$, _password_crypt with SHA-512, and the "U$"
// hashes of user_update_7000), reproduced from their published source with
// PHP's own functions. Every hash is checked back the way
// wp_check_password() and user_check_password() check it.
// Input: lines "kind cost password-hex" on stdin.

function wp_hash_password_68($password, $cost) {
	$password_to_hash = base64_encode(hash_hmac('sha384', trim($password), 'wp-sha384', true));
	return '$wp' . password_hash($password_to_hash, PASSWORD_BCRYPT, array('cost' => $cost));
}

function wp_check_password_68($password, $hash) {
	$password_to_verify = base64_encode(hash_hmac('sha384', $password, 'wp-sha384', true));
	return password_verify($password_to_verify, substr($hash, 3));
}

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function _password_base64_encode($input, $count) {
	$output = '';
	$i = 0;
	do {
		$value = ord($input[$i++]);
		$output .= ITOA64[$value & 0x3f];
		if ($i < $count) {
			$value |= ord($input[$i]) << 8;
		}
		$output .= ITOA64[($value >> 6) & 0x3f];
		if ($i++ >= $count) {
			break;
		}
		if ($i < $count) {
			$value |= ord($input[$i]) << 16;
		}
		$output .= ITOA64[($value >> 12) & 0x3f];
		if ($i++ >= $count) {
			break;
		}
		$output .= ITOA64[($value >> 18) & 0x3f];
	} while ($i < $count);
	return $output;
}

function _password_crypt($algo, $password, $setting) {
	if (strlen($password) > 512) {
		return FALSE;
	}
	$setting = substr($setting, 0, 12);
	if ($setting[0] != '$' || $setting[2] != '$') {
		return FALSE;
	}
	$count_log2 = strpos(ITOA64, $setting[3]);
	if ($count_log2 < 7 || $count_log2 > 30) {
		return FALSE;
	}
	$salt = substr($setting, 4, 8);
	if (strlen($salt) != 8) {
		return FALSE;
	}
	$count = 1 << $count_log2;
	$hash = hash($algo, $salt . $password, TRUE);
	do {
		$hash = hash($algo, $hash . $password, TRUE);
	} while (--$count);
	$len = strlen($hash);
	$output = $setting . _password_base64_encode($hash, $len);
	$expected = 12 + ceil((8 * $len) / 6);
	return (strlen($output) == $expected) ? substr($output, 0, 55) : FALSE;
}

function drupal_setting($count_log2) {
	return '$S$' . ITOA64[$count_log2] . _password_base64_encode(random_bytes(6), 6);
}

function user_check_password_7($password, $stored) {
	if (substr($stored, 0, 2) == 'U$') {
		$stored = substr($stored, 1);
		$password = md5($password);
	}
	$hash = _password_crypt('sha512', $password, $stored);
	return $hash && $stored == $hash;
}

while (($line = fgets(STDIN)) !== false) {
	[$kind, $cost, $hex] = explode(' ', trim($line) . ' ');
	$pw = hex2bin($hex);
	switch ($kind) {
	case 'wp':
		$h = wp_hash_password_68($pw, (int)$cost);
		$ok = wp_check_password_68(trim($pw), $h);
		break;
	case 'drupal':
		$h = _password_crypt('sha512', $pw, drupal_setting((int)$cost));
		$ok = user_check_password_7($pw, $h);
		break;
	case 'drupal-u':
		$h = 'U' . _password_crypt('sha512', md5($pw), drupal_setting((int)$cost));
		$ok = user_check_password_7($pw, $h);
		break;
	}
	if (!$ok) {
		fwrite(STDERR, "does not verify: $kind $hex $h\n");
		exit(1);
	}
	echo $hex, ' ', $h, "\n";
}
