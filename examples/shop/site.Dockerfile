# The static site: its build context is the folder /app/dist of the web image just built
# (`context: {image: web, path: /app/dist}`), on the base image of this file.
FROM base
COPY . /srv/www/
CMD ["ls", "/srv/www"]
