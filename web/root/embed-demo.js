// The embedding demo's own script (a file: the site's Content-Security-Policy
// allows no inline script).
document.getElementById('frame').src = 'embed/?origins=' + encodeURIComponent(location.origin);
document.querySelector('glimpse-classifier').addEventListener('glimpse-result', (e) => console.log('glimpse-result', e.detail));
