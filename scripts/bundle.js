// Bundles run after `tsc` (see package.json "build"). Each bundle adds its own step here.
'use strict';
